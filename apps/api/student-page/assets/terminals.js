'use strict';
// Terminal tabs: one xterm.js per session, each on the NetLabs terminal WebSocket.
// Protocol (apps/api/terminals/terminal-protocol.ts): binary frames are bytes both ways;
// text frames are JSON control messages (client: resize; server: ready). Closing a tab
// closes the socket with 1000, which ends the shell; a dropped connection is taken back
// with a reconnect url and the output missed meanwhile is replayed from `offset`.
(function () {
  var SUBPROTOCOL = 'netlabs.terminal.v1';
  var TOKEN_PROTOCOL = 'netlabs.token.';
  // RFC 7230 token characters: what a subprotocol may hold. Other tokens go in the query.
  var TCHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
  var RETRY_MS = [500, 1000, 2000, 4000, 8000, 15000];
  // About two minutes of trying: past the server's grace period the shell is gone anyway.
  var MAX_RETRIES = 12;
  var t = function (key, vars) {
    return window.NetLabsI18n.t(key, vars);
  };
  var ENDING_CODES = { 1000: 'ended.ended', 4408: 'ended.idle', 1001: 'ended.restarted', 4409: 'ended.taken', 4401: 'ended.revoked' };
  // The NetLabs process that ran the shell died (the server answers 410 to a reconnect, 4410 on the socket).
  var OWNER_GONE_CODE = 4410;
  var encoder = new TextEncoder();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /**
   * options: {labId, api(method, path, body) -> Promise<{status, body}>, token() -> string,
   *           picker, openButton, tabs, screens, empty, count}
   */
  function TerminalTabs(options) {
    this.o = options;
    this.tabs = [];
    this.active = null;
    this.limit = null;
    var self = this;
    options.openButton.addEventListener('click', function () {
      self.open(options.picker.value);
    });
    options.picker.addEventListener('focus', function () {
      self.refresh();
    });
    window.addEventListener('resize', function () {
      if (self.active) self.fit(self.active);
    });
  }

  /** Loads the containers one may open and takes back sessions left detached (a reload). */
  TerminalTabs.prototype.refresh = function (restore) {
    var self = this;
    return this.o.api('GET', '/labs/' + this.o.labId + '/terminals').then(function (res) {
      if (res.status !== 200) return;
      self.limit = res.body.limit;
      var picker = self.o.picker;
      var current = picker.value;
      picker.textContent = '';
      self.states = {};
      res.body.containers.forEach(function (c) {
        self.states[c.name] = c.state;
        var label = c.name === 'console' ? t('consoleName') : c.name;
        var option = el('option', '', label + (c.state === 'running' ? '' : c.state === 'missing' ? ' (' + t('notCreated') + ')' : ' (' + c.state + ')'));
        option.value = c.name;
        option.disabled = c.state !== 'running';
        picker.appendChild(option);
      });
      var firstRunning = res.body.containers.filter(function (c) { return c.state === 'running'; })[0];
      picker.value = current && res.body.containers.some(function (c) { return c.name === current && c.state === 'running'; }) ? current : firstRunning ? firstRunning.name : '';
      self.o.openButton.disabled = !firstRunning;
      // Tab names follow the page's language.
      self.tabs.forEach(function (tab) {
        if (tab.container === 'console') tab.label.textContent = t('consoleName');
      });
      var restored = 0;
      if (restore) {
        res.body.sessions.forEach(function (s) {
          if (s.state === 'detached' && !self.find(s.id)) {
            self.reconnect(self.addTab(s.id, s.container), 0);
            restored++;
          }
        });
      }
      self.updateCount();
      return restored > 0;
    });
  };

  TerminalTabs.prototype.find = function (id) {
    return this.tabs.filter(function (t) { return t.id === id; })[0];
  };

  TerminalTabs.prototype.updateCount = function () {
    var live = this.tabs.filter(function (t) { return !t.ended; }).length;
    this.o.count.textContent = this.limit ? live + ' / ' + this.limit + ' ' + t('terminalsCount') : '';
  };

  TerminalTabs.prototype.open = function (container) {
    var self = this;
    if (!container) return;
    this.o.openButton.disabled = true;
    return this.o
      .api('POST', '/labs/' + this.o.labId + '/terminals', { container: container })
      .then(function (res) {
        if (res.status !== 201) {
          self.o.notify((res.body && res.body.message) || t('openFailed') + ' (' + res.status + ')', 'error');
          return;
        }
        self.connect(self.addTab(res.body.id, container), res.body.url, false);
      })
      .finally(function () {
        self.o.openButton.disabled = false;
      });
  };

  TerminalTabs.prototype.addTab = function (id, container) {
    var self = this;
    var tab = { id: id, container: container, offset: 0, ended: false, closing: false, ws: null, retries: 0 };
    // Two real buttons side by side (a button inside a button is not reachable from the keyboard).
    tab.wrap = el('span', 'tab-wrap');
    tab.button = el('button', 'tab');
    tab.button.type = 'button';
    tab.button.setAttribute('role', 'tab');
    tab.label = el('span', 'tab-label', container === 'console' ? t('consoleName') : container);
    tab.dot = el('span', 'tab-dot');
    tab.dot.setAttribute('aria-hidden', 'true');
    var close = el('button', 'tab-close', '×');
    close.type = 'button';
    close.title = t('closeTerminal');
    close.setAttribute('aria-label', t('closeTerminal') + ' — ' + container);
    tab.button.append(tab.dot, tab.label);
    tab.wrap.append(tab.button, close);
    tab.button.addEventListener('click', function () {
      self.select(tab);
    });
    close.addEventListener('click', function () {
      self.close(tab);
    });
    tab.screen = el('div', 'screen');
    tab.screen.dataset.session = id;
    tab.screen.setAttribute('role', 'tabpanel');
    this.o.tabs.appendChild(tab.wrap);
    this.o.screens.appendChild(tab.screen);
    this.o.empty.hidden = true;

    tab.term = new window.Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      // Room below the baseline, or underscores (chat_serveur) are clipped.
      lineHeight: 1.15,
      scrollback: 5000,
      theme: { background: '#0f1720', foreground: '#d8dee9', cursor: '#7dd3fc', selectionBackground: '#33415588' },
    });
    tab.fitter = new window.FitAddon.FitAddon();
    tab.term.loadAddon(tab.fitter);
    tab.term.open(tab.screen);
    tab.term.onData(function (data) {
      if (tab.ws && tab.ws.readyState === WebSocket.OPEN) tab.ws.send(encoder.encode(data));
    });
    tab.term.onResize(function (size) {
      if (tab.ws && tab.ws.readyState === WebSocket.OPEN) tab.ws.send(JSON.stringify({ type: 'resize', rows: size.rows, cols: size.cols }));
    });
    this.tabs.push(tab);
    this.select(tab);
    this.updateCount();
    return tab;
  };

  TerminalTabs.prototype.select = function (tab) {
    this.tabs.forEach(function (t) {
      t.button.classList.toggle('active', t === tab);
      t.button.setAttribute('aria-selected', String(t === tab));
      t.screen.hidden = t !== tab;
    });
    this.active = tab;
    this.fit(tab);
    tab.term.focus();
  };

  TerminalTabs.prototype.fit = function (tab) {
    try {
      tab.fitter.fit();
    } catch (e) {
      // Not laid out yet (hidden): the next select fits it.
    }
  };

  TerminalTabs.prototype.setState = function (tab, state, title) {
    tab.dot.className = 'tab-dot ' + state;
    tab.button.title = tab.container + ': ' + (title || state);
  };

  TerminalTabs.prototype.connect = function (tab, url, resuming) {
    var self = this;
    var token = this.o.token();
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var query = '&rows=' + tab.term.rows + '&cols=' + tab.term.cols + (resuming ? '&since=' + tab.offset : '');
    var protocols = [SUBPROTOCOL];
    if (TCHARS.test(token)) protocols.push(TOKEN_PROTOCOL + token);
    else query += '&token=' + encodeURIComponent(token);
    var ws = new WebSocket(scheme + '//' + location.host + url + query, protocols);
    ws.binaryType = 'arraybuffer';
    tab.ws = ws;
    this.setState(tab, 'connecting');
    ws.onmessage = function (event) {
      if (typeof event.data === 'string') {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (message.type === 'ready') {
          tab.retries = 0;
          if (resuming && message.lost) tab.term.write('\r\n\x1b[2m[netlabs] ' + t('outputLost') + '\x1b[0m\r\n');
          tab.offset = message.offset;
          self.setState(tab, 'live', 'connected');
          self.fit(tab);
        }
        return;
      }
      var bytes = new Uint8Array(event.data);
      tab.offset += bytes.length;
      tab.term.write(bytes);
    };
    ws.onclose = function (event) {
      if (tab.ws !== ws || tab.closing) return;
      tab.ws = null;
      if (event.code === OWNER_GONE_CODE) return self.markLost(tab);
      var ending = ENDING_CODES[event.code];
      if (ending) return self.markEnded(tab, event.reason || t(ending));
      // Dropped, cut for reading too slowly, or refused: the session may still be there.
      self.setState(tab, 'connecting', 'reconnecting');
      self.reconnect(tab, RETRY_MS[Math.min(tab.retries, RETRY_MS.length - 1)]);
    };
  };

  TerminalTabs.prototype.reconnect = function (tab, delay) {
    var self = this;
    if (++tab.retries > MAX_RETRIES) return this.markEnded(tab, t('terminalLost'));
    setTimeout(function () {
      if (tab.closing || tab.ended) return;
      self.o.api('POST', '/labs/' + self.o.labId + '/terminals/' + tab.id + '/reconnect', {}).then(
        function (res) {
          if (res.status === 201) return self.connect(tab, res.body.url, true);
          if (res.status === 404) return self.markEnded(tab, t('terminalEnded'));
          if (res.status === 410) return self.markLost(tab);
          self.reconnect(tab, RETRY_MS[Math.min(tab.retries, RETRY_MS.length - 1)]);
        },
        function () {
          self.reconnect(tab, RETRY_MS[Math.min(tab.retries, RETRY_MS.length - 1)]);
        },
      );
    }, delay);
  };

  /**
   * The server process that ran this shell stopped (several NetLabs processes share the
   * work): the shell is gone, the lab is not. Says so plainly and offers one click that
   * opens a new terminal on the same container (on a process that is still there).
   */
  TerminalTabs.prototype.markLost = function (tab) {
    this.markEnded(tab, t('serverLost'), { lost: true });
  };

  /**
   * A terminal that ended says why; when its container is gone (the student's own
   * `docker rm`), it says so, and a Reopen button opens a new terminal once it is back.
   */
  TerminalTabs.prototype.markEnded = function (tab, why, options) {
    var lost = Boolean(options && options.lost);
    if (tab.ended) return;
    var self = this;
    tab.ended = true;
    this.setState(tab, 'ended', why);
    this.updateCount();
    this.refresh().then(function () {
      var gone = self.states && self.states[tab.container] && self.states[tab.container] !== 'running';
      var reason = gone ? t('terminalGone', { c: tab.container }) : why;
      if (lost && !gone) tab.term.write('\r\n\x1b[1;33m[netlabs] ' + reason + '\x1b[0m\r\n');
      else tab.term.write('\r\n\x1b[2m[netlabs] ' + reason + ' — ' + t('closeOrReopen') + '\x1b[0m\r\n');
      if (tab.reopen) return;
      tab.reopen = el('button', 'reopen', t(lost ? 'openNewTerminal' : 'reopen'));
      tab.reopen.type = 'button';
      tab.reopen.addEventListener('click', function () {
        self.close(tab);
        self.open(tab.container);
      });
      if (!lost || gone) return tab.screen.prepend(tab.reopen);
      // Said in the page too (not only in the terminal), with the button beside the words.
      var notice = el('div', 'lost-notice');
      notice.setAttribute('role', 'alert');
      notice.append(el('p', '', reason), tab.reopen);
      tab.screen.prepend(notice);
    });
  };

  /** Closing a tab ends its shell: the socket closes with 1000 (or the session is deleted). */
  TerminalTabs.prototype.close = function (tab) {
    tab.closing = true;
    if (tab.ws && tab.ws.readyState === WebSocket.OPEN) tab.ws.close(1000, 'tab closed');
    else if (!tab.ended) this.o.api('DELETE', '/labs/' + this.o.labId + '/terminals/' + tab.id);
    tab.term.dispose();
    tab.wrap.remove();
    tab.screen.remove();
    this.tabs = this.tabs.filter(function (t) { return t !== tab; });
    if (this.active === tab) this.active = null;
    if (this.tabs.length) this.select(this.tabs[this.tabs.length - 1]);
    else this.o.empty.hidden = false;
    this.updateCount();
  };

  window.NetLabsTerminals = { TerminalTabs: TerminalTabs };
})();
