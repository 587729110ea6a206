'use strict';
// The student's lab page: instructions, steps with their status and a Verify button,
// and the terminal tabs. Everything comes from the REST API with the lab token, which
// arrives in the url fragment (#token=...), is kept in sessionStorage for this tab only
// and removed from the address bar. Text from the API is only ever set as textContent.
// Opened with an instructor's token (the dashboard's "view"), the page is read-only: no
// Verify, no Run, no terminals; it follows the lab by itself.
(function () {
  var match = /^\/labs\/([0-9a-f-]{36})\/page\/?$/i.exec(location.pathname);
  var labId = match ? match[1].toLowerCase() : null;
  var TOKEN_KEY = 'netlabs.token.' + labId;
  var POLL_MS = 1000;
  var POLL_LIMIT_MS = 120000;
  var READ_ONLY_REFRESH_MS = 5000;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var t = window.NetLabsI18n.t;
  var state = {
    token: null,
    // The student's own choice wins; else the class's language (from the API), French until it is known.
    chosenLang: localStorage.getItem('netlabs.lang'),
    lang: localStorage.getItem('netlabs.lang') || 'fr',
    builtLang: null,
    cards: {},
    terminals: null,
    waiting: null,
    // Decided by the API (`viewer`): anyone but the lab's own student only reads.
    readOnly: false,
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function takeToken() {
    var fragment = new URLSearchParams(location.hash.slice(1));
    var token = fragment.get('token');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return token || sessionStorage.getItem(TOKEN_KEY);
  }

  function api(method, path, body) {
    var init = { method: method, headers: { authorization: 'Bearer ' + state.token } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var parsed = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch (e) {
          // not JSON: keep the text
        }
        return { status: res.status, body: parsed };
      });
    });
  }

  function notify(text, kind) {
    var banner = $('banner');
    banner.textContent = text || '';
    banner.className = 'banner ' + (kind || 'info');
    banner.hidden = !text;
  }

  function askToken(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('workspace').hidden = true;
    $('token-form').hidden = false;
    $('lab-title').textContent = 'NetLabs';
    $('lab-status').textContent = '';
    notify(message, 'error');
  }

  function titleOf(lab) {
    var first = /^#\s+(.+)$/m.exec(lab.instructions || '');
    return first ? first[1].trim() : lab.labDefinitionId;
  }

  /** The lab's introduction: what comes before the first step in the rendered markdown. */
  function introOf(lab) {
    var text = lab.instructions || '';
    var start = text.search(/^#\s+.+$/m);
    if (start >= 0) text = text.slice(text.indexOf('\n', start) + 1);
    var first = lab.steps[0] ? text.search(new RegExp('^##\\s+' + lab.steps[0].id + '\\b', 'm')) : -1;
    return first >= 0 ? text.slice(0, first) : text;
  }

  function load() {
    return api('GET', '/labs/' + labId + '?lang=' + state.lang).then(function (res) {
      if (res.status === 401 || res.status === 404) return askToken(t('badToken'));
      if (res.status !== 200) return notify(t('loadFailed') + ' (' + res.status + ') : ' + ((res.body && res.body.message) || t('tryAgain')), 'error');
      if (!state.chosenLang && res.body.language && res.body.language !== state.lang) {
        setLang(res.body.language);
        return load();
      }
      render(res.body);
    });
  }

  function render(lab) {
    $('token-form').hidden = true;
    $('workspace').hidden = false;
    document.title = titleOf(lab) + ' · NetLabs';
    $('lab-title').textContent = titleOf(lab);
    var status = $('lab-status');
    status.textContent = t('labStatus.' + lab.status);
    status.className = 'badge lab-' + lab.status;
    $('lab-student').textContent = lab.studentExternalId ? t('student') + ' ' + lab.studentExternalId : '';
    var passed = lab.steps.filter(function (s) { return s.status === 'passed'; }).length;
    $('lab-score').textContent = passed + ' / ' + lab.steps.length + ' ' + t('stepsPassed');
    var complete = $('complete');
    complete.hidden = !(lab.steps.length && passed === lab.steps.length);
    complete.textContent = complete.hidden ? '' : '🎉 ' + t('complete', { n: lab.steps.length });
    state.links = lab.links || {};
    state.readOnly = !!lab.viewer && lab.viewer !== 'student';
    document.body.classList.toggle('read-only', state.readOnly);

    if (state.readOnly) {
      var why = lab.status !== 'ready' ? ' — ' + t('labIs') + ' ' + t('labStatus.' + lab.status) + (lab.failureReason ? ' : ' + lab.failureReason : '') : '';
      notify(t('readOnly', { who: lab.studentExternalId || '' }) + why, 'info');
      clearTimeout(state.waiting);
      state.waiting = setTimeout(function follow() {
        if (document.hidden) state.waiting = setTimeout(follow, READ_ONLY_REFRESH_MS);
        else load();
      }, READ_ONLY_REFRESH_MS);
    } else if (lab.status === 'provisioning') {
      notify(t('preparing'), 'info');
      clearTimeout(state.waiting);
      state.waiting = setTimeout(load, 3000);
    } else if (lab.status !== 'ready') {
      notify(t('labIs') + ' ' + t('labStatus.' + lab.status) + (lab.failureReason ? ' : ' + lab.failureReason : '') + '. ' + t('askInstructor'), 'error');
    } else {
      notify('');
    }

    if (state.builtLang !== state.lang) buildSteps(lab);
    lab.steps.forEach(function (step) {
      var card = state.cards[step.id];
      if (card) updateCard(card, step);
    });
    if (lab.status === 'ready' && !state.terminals && !state.readOnly) startTerminals();
  }

  function buildSteps(lab) {
    var intro = $('intro');
    intro.textContent = '';
    intro.appendChild(window.NetLabsMarkdown.render(introOf(lab), 2));
    var list = $('steps');
    list.textContent = '';
    state.cards = {};
    var openedOne = false;
    lab.steps.forEach(function (step) {
      var card = buildCard(step);
      if (!openedOne && step.status !== 'passed') {
        card.details.open = true;
        openedOne = true;
      }
      state.cards[step.id] = card;
      list.appendChild(card.root);
    });
    state.builtLang = state.lang;
  }

  function buildCard(step) {
    var card = { step: step };
    card.root = el('li', 'step');
    card.root.dataset.step = step.id;
    card.details = el('details');
    var summary = el('summary');
    card.badge = el('span', 'badge');
    card.attempts = el('span', 'attempts muted small');
    summary.append(el('span', 'step-id', step.id), el('span', 'step-title', step.title), card.badge, card.attempts);
    var body = el('div', 'step-body');
    var instructions = el('div', 'markdown');
    instructions.appendChild(window.NetLabsMarkdown.render(step.instructions || '', 4));
    var form = el('form', 'verify');
    form.autocomplete = 'off';
    if (step.kind === 'question') {
      card.answer = el('input', 'answer');
      card.answer.name = 'answer';
      card.answer.placeholder = t('yourAnswer');
      card.answer.setAttribute('aria-label', t('answerTo') + ' ' + step.id);
      form.appendChild(card.answer);
    }
    card.button = el('button', 'primary verify-button', t('verify'));
    card.button.type = 'submit';
    form.appendChild(card.button);
    // Stuck: the class may let a student run the reference solution (after some failed tries);
    // the progress grid then says the step was passed with it.
    card.runButton = el('button', 'secondary run-button', t('runSolution'));
    card.runButton.type = 'button';
    card.runButton.hidden = true;
    card.runButton.addEventListener('click', function () {
      runSolution(card);
    });
    form.appendChild(card.runButton);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      verify(card);
    });
    card.result = el('div', 'result');
    card.result.hidden = true;
    body.append(instructions);
    // Step 2a asks to reach the server "from a browser of the host machine": offer the lab's address.
    if (step.id === '2a' && state.links && state.links.httpd) {
      var link = el('a', 'site-link button', t('openSite') + ' ↗');
      link.href = state.links.httpd;
      link.target = '_blank';
      link.rel = 'noopener';
      body.append(link);
    }
    // Read-only: the instructions and the step's status, nothing that acts on the lab.
    if (state.readOnly) body.append(card.result);
    else body.append(form, card.result);
    card.details.append(summary, body);
    card.root.appendChild(card.details);
    return card;
  }

  function updateCard(card, step) {
    card.root.dataset.status = step.status;
    card.badge.textContent = t('status.' + step.status);
    card.badge.className = 'badge status-' + step.status;
    card.attempts.textContent = step.attempts ? step.attempts + ' ' + t(step.attempts > 1 ? 'attempts' : 'attempt') : '';
    if (card.runButton) card.runButton.hidden = !(step.canRun && step.status !== 'passed');
  }

  function verify(card) {
    var step = card.step;
    var body = {};
    if (card.answer) {
      if (!card.answer.value.trim()) return showError(card, t('typeAnswer'));
      body.answer = card.answer.value.trim();
    }
    card.button.disabled = true;
    card.button.classList.add('busy');
    card.button.textContent = t('checking');
    card.root.setAttribute('aria-busy', 'true');
    api('POST', '/labs/' + labId + '/steps/' + step.id + '/verify?lang=' + state.lang, body)
      .then(function (res) {
        return res.status === 202 && res.body && res.body.resultUrl ? poll(res.body.resultUrl, Date.now() + POLL_LIMIT_MS) : res;
      })
      .then(function (res) {
        if (res.status === 200) showResult(card, res.body);
        else showError(card, (res.body && res.body.message) || t('verifyFailed') + ' (' + res.status + ')');
      })
      .catch(function (error) {
        showError(card, t('unreachable') + ' : ' + error.message);
      })
      .finally(function () {
        card.button.disabled = false;
        card.button.classList.remove('busy');
        card.button.textContent = t('verify');
        card.root.removeAttribute('aria-busy');
        load();
        if (state.terminals) state.terminals.refresh();
      });
  }

  function runSolution(card) {
    if (!window.confirm(t('runConfirm'))) return;
    card.runButton.disabled = true;
    card.runButton.classList.add('busy');
    api('POST', '/labs/' + labId + '/steps/' + card.step.id + '/run?lang=' + state.lang, {})
      .then(function (res) {
        return res.status === 202 && res.body && res.body.resultUrl ? poll(res.body.resultUrl, Date.now() + POLL_LIMIT_MS) : res;
      })
      .then(function (res) {
        if (res.status !== 200) return showError(card, (res.body && res.body.message) || t('verifyFailed') + ' (' + res.status + ')');
        var box = card.result;
        box.textContent = '';
        box.hidden = false;
        box.className = 'result solution';
        box.appendChild(el('p', 'result-title', t('solutionTitle')));
        box.appendChild(el('pre', 'transcript', res.body.output || ''));
        announce(card.step.id + ' : ' + t('solutionTitle'));
      })
      .catch(function (error) {
        showError(card, t('unreachable') + ' : ' + error.message);
      })
      .finally(function () {
        card.runButton.disabled = false;
        card.runButton.classList.remove('busy');
        load();
        if (state.terminals) state.terminals.refresh();
      });
  }

  /** A verify the worker had not finished when the API answered 202. */
  function poll(url, deadline) {
    return new Promise(function (resolve) {
      setTimeout(resolve, POLL_MS);
    }).then(function () {
      return api('GET', url).then(function (res) {
        if (res.status === 200 && res.body.state === 'completed') return { status: 200, body: res.body.result };
        if (res.status === 200 && res.body.state === 'failed') return { status: 500, body: { message: res.body.message } };
        if (Date.now() > deadline) return { status: 504, body: { message: t('tooLong') } };
        return poll(url, deadline);
      });
    });
  }

  function showResult(card, result) {
    var box = card.result;
    box.textContent = '';
    box.hidden = false;
    box.className = 'result ' + (result.passed ? 'passed' : 'failed');
    var title = result.passed ? t('passedTitle') : t('failedTitle');
    box.appendChild(el('p', 'result-title', title));
    var list = el('ul', 'checks');
    (result.checks || []).forEach(function (check) {
      var item = el('li', 'check ' + (check.passed ? 'passed' : 'failed'));
      item.append(el('span', 'mark', check.passed ? '✓' : '✗'), el('span', 'check-name', check.name), el('span', 'check-message', check.message));
      list.appendChild(item);
    });
    box.appendChild(list);
    var failed = (result.checks || []).filter(function (c) { return !c.passed; })[0];
    announce(card.step.id + ' : ' + title + (failed ? '. ' + failed.message : ''));
  }

  function announce(text) {
    var region = $('announcer');
    region.textContent = '';
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function showError(card, message) {
    card.result.textContent = '';
    card.result.hidden = false;
    card.result.className = 'result error';
    card.result.appendChild(el('p', 'result-title', message));
    announce(card.step.id + ' : ' + message);
  }

  function startTerminals() {
    state.terminals = new window.NetLabsTerminals.TerminalTabs({
      labId: labId,
      api: api,
      token: function () {
        return state.token;
      },
      notify: notify,
      picker: $('container-picker'),
      openButton: $('open-terminal'),
      tabs: $('tabs'),
      screens: $('screens'),
      empty: $('screens-empty'),
      count: $('terminal-count'),
    });
    // The console (the TP's host machine) opens by itself, unless a reload takes back open terminals.
    state.terminals.refresh(true).then(function (restored) {
      if (!restored) state.terminals.open('console');
    });
    setInterval(function () {
      if (!document.hidden) state.terminals.refresh();
    }, 15000);
  }

  function setLang(lang) {
    state.lang = lang;
    window.NetLabsI18n.use(lang);
    $('lang').value = lang;
    if (state.terminals) state.terminals.refresh();
  }

  function start() {
    setLang(state.lang);
    if (!labId) return notify(t('notALabPage'), 'error');
    var lang = $('lang');
    lang.addEventListener('change', function () {
      state.chosenLang = lang.value;
      localStorage.setItem('netlabs.lang', lang.value);
      setLang(lang.value);
      load();
    });
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      state.token = $('token-input').value.trim();
      sessionStorage.setItem(TOKEN_KEY, state.token);
      load();
    });
    state.token = takeToken();
    if (!state.token) return askToken('');
    load();
  }

  start();
})();
