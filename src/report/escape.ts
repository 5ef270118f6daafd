/** Text for HTML element content or a double-quoted attribute: record text holds code and `<scratchpad>` tags. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * JSON to embed in `<script type="application/json">`. Escaping every `<` as `\u003c` rules out both
 * `</script` (which would end the element early) and `<!--` (which switches the HTML parser into its
 * script-data-escaped state), while JSON.parse still reads the same string back. U+2028/2029 are escaped
 * too so the text stays valid if someone ever pastes it into a JS literal.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
