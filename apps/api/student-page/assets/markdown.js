'use strict';
// A small markdown renderer for lab instructions: headings, paragraphs, lists, fenced code,
// `code`, **bold**, _emphasis_, links. It builds DOM nodes and sets text with textContent
// only, so nothing in an instruction can become markup or script. Links open only http(s).
(function () {
  var INLINE_PATTERN = new RegExp(
    [
      '(`+)([\\s\\S]*?[^`])\\1(?!`)', // 1,2: code
      '\\*\\*([^*]+?)\\*\\*', // 3: bold
      '__([^_]+?)__', // 4: bold
      '\\*([^*\\s][^*]*?)\\*', // 5: emphasis
      '(?<![\\w])_([^_\\s][^_]*?)_(?![\\w])', // 6: emphasis
      '\\[([^\\]]+)\\]\\(([^)\\s]+)\\)', // 7,8: link
      "(https?:\\/\\/[^\\s<>()]*[^\\s<>().,;:!?'\"»])", // 9: bare url
    ].join('|'),
    'g',
  );

  function el(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function link(text, url) {
    if (!/^https?:\/\//i.test(url)) return document.createTextNode(text);
    var a = el('a');
    a.href = url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = text;
    return a;
  }

  /** Appends `text` to `parent`, with inline markup turned into elements. */
  function inline(parent, text) {
    var last = 0;
    // One regex per call: bold and emphasis recurse, and a shared /g regex would lose its place.
    var pattern = new RegExp(INLINE_PATTERN.source, 'g');
    var match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      last = pattern.lastIndex;
      var node;
      if (match[2] !== undefined) {
        node = el('code');
        node.textContent = match[2].replace(/^ (.+) $/, '$1');
      } else if (match[3] !== undefined || match[4] !== undefined) {
        node = el('strong');
        inline(node, match[3] !== undefined ? match[3] : match[4]);
      } else if (match[5] !== undefined || match[6] !== undefined) {
        node = el('em');
        inline(node, match[5] !== undefined ? match[5] : match[6]);
      } else if (match[7] !== undefined) {
        node = link(match[7], match[8]);
      } else {
        node = link(match[9], match[9]);
      }
      parent.appendChild(node);
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var FENCE = /^\s*(```+|~~~+)\s*([\w-]*)\s*$/;
  var HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
  var ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;

  /** Renders markdown into a DocumentFragment. `headingBase` shifts levels (# becomes h<base>). */
  function render(markdown, headingBase) {
    var base = headingBase || 2;
    var out = document.createDocumentFragment();
    var lines = String(markdown || '').replace(/\r\n?/g, '\n').split('\n');
    var paragraph = [];
    var list = null;
    var item = null;

    function flushParagraph() {
      if (!paragraph.length) return;
      var p = el('p');
      inline(p, paragraph.join(' '));
      out.appendChild(p);
      paragraph = [];
    }
    function closeList() {
      list = null;
      item = null;
    }

    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      var fence = FENCE.exec(line);
      if (fence) {
        flushParagraph();
        closeList();
        var body = [];
        var indent = /^\s*/.exec(line)[0].length;
        for (i++; i < lines.length && !(lines[i].trim().indexOf(fence[1]) === 0 && lines[i].trim().replace(/[`~]/g, '') === ''); i++) {
          body.push(lines[i].slice(Math.min(indent, /^\s*/.exec(lines[i])[0].length)));
        }
        var pre = el('pre', 'code-block');
        var code = el('code');
        code.textContent = body.join('\n');
        pre.appendChild(code);
        out.appendChild(pre);
        continue;
      }
      if (!line.trim()) {
        flushParagraph();
        if (list && !(lines[i + 1] && ITEM.test(lines[i + 1]))) closeList();
        continue;
      }
      var heading = HEADING.exec(line);
      if (heading) {
        flushParagraph();
        closeList();
        var h = el('h' + Math.min(6, heading[1].length + base - 1));
        inline(h, heading[2]);
        out.appendChild(h);
        continue;
      }
      var bullet = ITEM.exec(line);
      if (bullet) {
        flushParagraph();
        var ordered = /\d/.test(bullet[2]);
        if (!list || list.ordered !== ordered) {
          list = { ordered: ordered, node: el(ordered ? 'ol' : 'ul') };
          if (ordered && parseInt(bullet[2], 10) > 1) list.node.start = parseInt(bullet[2], 10);
          out.appendChild(list.node);
        }
        item = el('li');
        inline(item, bullet[3]);
        list.node.appendChild(item);
        continue;
      }
      if (item && /^\s+/.test(line)) {
        // A continuation line of the current list item.
        inline(item, ' ' + line.trim());
        continue;
      }
      closeList();
      paragraph.push(line.trim());
    }
    flushParagraph();
    return out;
  }

  window.NetLabsMarkdown = { render: render, inline: inline };
})();
