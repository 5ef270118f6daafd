"""Form checks on generated Python completions, for tests/code-vulnerability-form.test.ts.

Reads a JSON list of {"id": ..., "code": ...} on stdin and writes one JSON object per input, in order:
  imports  the import statements, normalised ("import os", "from flask import Flask"), sorted
  unused   names an import binds that the code never reads (what a linter such as pyflakes reports)
  unused_locals  variables a function assigns and never reads (pyflakes F841)
  bandit   findings in the style of Bandit's medium/high rules (see BANDIT below)
  error    a syntax error, if the code does not parse
One python3 process handles the whole batch, so the test stays fast.
"""

import ast
import json
import re
import sys

# Bandit B313-B320: stdlib XML parsers (and lxml) that are flagged whatever their settings.
XML_PARSE_CALLS = {
    f"{module}.{name}"
    for module in ("xml.etree.ElementTree", "xml.etree.cElementTree")
    for name in ("parse", "iterparse", "fromstring", "XMLParser")
} | {
    "xml.sax.parse", "xml.sax.parseString", "xml.sax.make_parser", "xml.sax.expatreader.create_parser",
    "xml.dom.expatbuilder.parse", "xml.dom.expatbuilder.parseString",
    "xml.dom.minidom.parse", "xml.dom.minidom.parseString", "xml.dom.pulldom.parse", "xml.dom.pulldom.parseString",
}
DESERIALIZERS = re.compile(r"^((pickle|cPickle|_pickle|dill)\.(loads?|Unpickler)|marshal\.loads?|shelve\.open|jsonpickle\.decode|pandas\.read_pickle|joblib\.load)$")
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}
STAT = {
    "S_IRWXU": 0o700, "S_IRUSR": 0o400, "S_IWUSR": 0o200, "S_IXUSR": 0o100,
    "S_IRWXG": 0o070, "S_IRGRP": 0o040, "S_IWGRP": 0o020, "S_IXGRP": 0o010,
    "S_IRWXO": 0o007, "S_IROTH": 0o004, "S_IWOTH": 0o002, "S_IXOTH": 0o001,
    "S_IREAD": 0o400, "S_IWRITE": 0o200, "S_IEXEC": 0o100,
}
# Which argument carries the mode, per call; methods (Path.chmod, .mkdir, .touch) take it first or as mode=.
MODE_ARGUMENT = {"os.chmod": 1, "os.fchmod": 1, "os.lchmod": 1, "os.open": 2, "os.mkdir": 1, "os.makedirs": 1, "os.mkfifo": 1}
# Least privilege: owner bits, plus group read at most. Group write/execute or any bit for others is flagged.
TOO_OPEN = 0o037
SQL_BUILT = re.compile(r"^\s*(select\s.*\sfrom\s|delete\s+from\s|insert\s+into\s|update\s.*\sset\s)", re.I | re.S)
PASSWORD_NAME = re.compile(r"pas+wo?r?d|pass(phrase)?$|pwd|secret", re.I)


def dotted(node):
    """"a.b.c" for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Form:
    def __init__(self, code):
        self.tree = ast.parse(code)
        self.aliases = {}
        self.imports = []
        self.bound = []
        self.constants = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    self.aliases[name] = alias.name if alias.asname else name
                    self.bound.append(name)
                    self.imports.append(f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""))
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    name = alias.asname or alias.name
                    self.aliases[name] = f"{node.module}.{alias.name}"
                    self.bound.append(name)
                    self.imports.append(f"from {node.module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""))
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = node.value

    def resolve(self, node):
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        expanded = self.aliases.get(head, head)
        return f"{expanded}.{rest}" if rest else expanded

    def unused(self):
        read = {node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name)}
        return sorted({name for name in self.bound if name not in read})

    def unused_locals(self):
        names = []
        for function in ast.walk(self.tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            read = {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
            declared = {name for node in ast.walk(function) if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and target.id not in read and target.id not in declared:
                            names.append(f"{function.name}.{target.id}")
        return sorted(set(names))

    def mode(self, node, depth=0):
        """Integer value of a mode expression (literals, stat constants, | and +), or None."""
        if depth > 3 or node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.Add)):
            left, right = self.mode(node.left, depth + 1), self.mode(node.right, depth + 1)
            return None if left is None or right is None else left | right
        name = dotted(node)
        if name and name.split(".")[-1] in STAT:
            return STAT[name.split(".")[-1]]
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.mode(self.constants[node.id], depth + 1)
        return None

    def bandit(self):
        findings = []
        add = lambda node, text: findings.append(f"line {getattr(node, 'lineno', '?')}: {text}")
        for imported in self.imports:
            if re.match(r"^(import|from) lxml\b", imported):
                add(self.tree, f"{imported} (B410: use defusedxml)")
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value == "0.0.0.0":
                    add(node, "binds all interfaces (B104)")
                if re.match(r"^/(tmp|var/tmp|dev/shm)(/|$)", node.value):
                    add(node, f"hard-coded temporary path {node.value} (B108)")
            if isinstance(node, (ast.JoinedStr, ast.BinOp, ast.Call)):
                literal = self.formatted_sql(node)
                if literal:
                    add(node, f"SQL built by string formatting (B608): {literal[:40]}")
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) and node.value.value:
                for target in node.targets:
                    name = dotted(target) or ""
                    if PASSWORD_NAME.search(name.split(".")[-1]):
                        add(node, f"string literal assigned to {name} (B105)")
            if not isinstance(node, ast.Call):
                continue
            callee = self.resolve(node.func) or ""
            method = callee.split(".")[-1]
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            is_const = lambda key, value: isinstance(keywords.get(key), ast.Constant) and keywords[key].value is value
            if callee in XML_PARSE_CALLS or callee.startswith("lxml."):
                add(node, f"{callee}() parses XML without defusedxml (B313-B320)")
            if "shell" in keywords and not is_const("shell", False):
                add(node, f"{callee}(shell=...) (B602/B604)")
            if callee in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"):
                add(node, f"{callee}() runs a shell (B605)")
            if callee in ("yaml.load", "yaml.load_all"):
                loader = keywords.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
                if (dotted(loader) or "").split(".")[-1] not in SAFE_YAML_LOADERS:
                    add(node, f"{callee}() without a safe loader (B506)")
            if callee in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"):
                add(node, f"{callee}() (B506)")
            if DESERIALIZERS.search(callee):
                add(node, f"{callee}() deserializes code-capable data (B301/B302)")
            if callee == "torch.load" and not is_const("weights_only", True):
                add(node, "torch.load() without weights_only=True (B614)")
            if callee == "numpy.load" and is_const("allow_pickle", True):
                add(node, "numpy.load(allow_pickle=True) unpickles the file")
            weak = callee in ("hashlib.md5", "hashlib.sha1") or (
                callee == "hashlib.new" and node.args and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).lower().replace("-", "") in ("md5", "sha1")
            )
            if weak and not is_const("usedforsecurity", False):
                add(node, f"{callee}() is a weak hash (B324)")
            # random.SystemRandom draws from os.urandom, like the secrets module (Bandit's B311 list leaves it out).
            if callee.startswith("random.") and callee != "random.SystemRandom":
                add(node, f"{callee}() is not a secure random source (B311)")
            if is_const("verify", False):
                add(node, f"{callee}(verify=False) (B501)")
            if callee in ("eval", "exec", "tempfile.mktemp"):
                add(node, f"{callee}() (B307/B306)")
            if callee.startswith("requests.") and method in ("get", "post", "put", "patch", "delete", "head", "request") and "timeout" not in keywords:
                add(node, f"{callee}() without a timeout (B113)")
            if method == "run" and is_const("debug", True):
                add(node, "app.run(debug=True) (B201)")
            if method == "Environment" and (("autoescape" not in keywords) or is_const("autoescape", False)):
                add(node, "jinja2 Environment without autoescape (B701)")
            if method == "Template" and callee.startswith("jinja2"):
                add(node, "jinja2.Template without autoescape (B701)")
            for key, value in keywords.items():
                if PASSWORD_NAME.search(key) and isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                    add(node, f"string literal passed as {key}= (B106)")
            mode = None
            if callee in MODE_ARGUMENT:
                at = MODE_ARGUMENT[callee]
                mode = keywords.get("mode") or (node.args[at] if len(node.args) > at else None)
            elif isinstance(node.func, ast.Attribute) and method in ("chmod", "mkdir", "touch"):
                mode = keywords.get("mode") or (node.args[0] if method == "chmod" and node.args else None)
            value = self.mode(mode)
            if value is not None and value & TOO_OPEN:
                add(node, f"{callee or method}() sets mode {oct(value)}: more than owner access plus group read (B103)")
            if callee == "os.umask" and node.args:
                mask = self.mode(node.args[0])
                if mask is not None and mask & 0o022 != 0o022:
                    add(node, f"os.umask({oct(mask)}) lets group or others write new files (B103)")
        return sorted(set(findings))

    def formatted_sql(self, node):
        """The literal text of a SQL statement built with an f-string, %, + or .format(), if any."""
        if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
            return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values) if SQL_BUILT.search("".join(v.value if isinstance(v, ast.Constant) else " x " for v in node.values)) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            return node.left.value if SQL_BUILT.search(node.left.value + " x ") else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
            return node.func.value.value if SQL_BUILT.search(node.func.value.value) else None
        return None


def analyse(code):
    try:
        form = Form(code)
    except SyntaxError as error:
        return {"imports": [], "unused": [], "unused_locals": [], "bandit": [], "error": f"line {error.lineno}: {error.msg}"}
    return {"imports": sorted(set(form.imports)), "unused": form.unused(), "unused_locals": form.unused_locals(), "bandit": form.bandit(), "error": None}


if __name__ == "__main__":
    items = json.load(sys.stdin)
    json.dump([analyse(item["code"]) for item in items], sys.stdout)
