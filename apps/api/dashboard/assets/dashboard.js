'use strict';
// The instructor dashboard. Opened with the admin token (the list of classes, then one) or
// with a dashboard link (`#class=<id>&token=nli_...`: that class only). The token is kept in
// sessionStorage for this tab and dropped from the address bar; the class id stays in the
// fragment (`#class=<id>`) so that the back button and a reload work. The grid follows the
// class by polling GET /classes/:id/progress. Text from the API is only set as textContent.
(function () {
  var POLL_MS = 4000;
  var TOKEN_KEY = 'netlabs.dashboard.token';
  var OPTIONS_KEY = 'netlabs.dashboard.options';
  var INSTRUCTOR_PREFIX = 'nli_';
  var MARKS = { 'own-work': '✓', solution: '◐', failed: '✗', pending: '·' };
  var $ = function (id) {
    return document.getElementById(id);
  };
  var t = window.NetLabsI18n.t;
  var Grid = window.NetLabsGrid;
  var state = {
    token: null,
    lang: localStorage.getItem('netlabs.lang') || 'fr',
    classId: null,
    klass: null,
    progress: null,
    titles: {},
    options: readOptions(),
    filter: { stuck: false, status: '' },
    timer: null,
    lastRendered: '',
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function readOptions() {
    try {
      var saved = JSON.parse(localStorage.getItem(OPTIONS_KEY) || '{}');
      return { failures: Number(saved.failures) || Grid.DEFAULTS.failures, idleMinutes: Number(saved.idleMinutes) || Grid.DEFAULTS.idleMinutes };
    } catch (e) {
      return { failures: Grid.DEFAULTS.failures, idleMinutes: Grid.DEFAULTS.idleMinutes };
    }
  }

  function fragment() {
    return new URLSearchParams(location.hash.slice(1));
  }

  /** Takes the token from the fragment (a dashboard link) and leaves only the class there. */
  function takeToken() {
    var params = fragment();
    var token = params.get('token');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      var klass = params.get('class');
      history.replaceState(null, '', location.pathname + location.search + (klass ? '#class=' + encodeURIComponent(klass) : ''));
    }
    return token || sessionStorage.getItem(TOKEN_KEY);
  }

  function isInstructorLink() {
    return !!state.token && state.token.indexOf(INSTRUCTOR_PREFIX) === 0;
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
        return { status: res.status, body: parsed, headers: res.headers };
      });
    });
  }

  function notify(text, kind) {
    var banner = $('banner');
    banner.textContent = text || '';
    banner.className = 'banner ' + (kind || 'info');
    banner.hidden = !text;
  }

  function messageOf(res) {
    return (res.body && res.body.message) || String(res.status);
  }

  function show(view) {
    $('token-form').hidden = view !== 'token';
    $('classes-view').hidden = view !== 'classes';
    $('class-view').hidden = view !== 'class';
    $('all-classes').hidden = view !== 'class' || isInstructorLink();
  }

  function askToken(message) {
    stopPolling();
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    show('token');
    $('dash-title').textContent = t('dashboardTitle');
    $('class-meta').textContent = '';
    $('updated').textContent = '';
    notify(message, message ? 'error' : 'info');
  }

  function fmtTime(value) {
    return value ? new Date(value).toLocaleTimeString(state.lang === 'fr' ? 'fr-FR' : 'en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';
  }

  function fmtDate(value) {
    return value ? new Date(value).toLocaleString(state.lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' }) : '';
  }

  // ---- routing -------------------------------------------------------------------------

  function route() {
    if (!state.token) return askToken('');
    var classId = fragment().get('class');
    if (classId) return openClass(classId);
    if (isInstructorLink()) {
      show(null);
      return notify(t('dashClassGone'), 'error');
    }
    return listClasses();
  }

  // ---- the list of classes (admin) -------------------------------------------------------

  function listClasses() {
    stopPolling();
    state.classId = null;
    return api('GET', '/classes').then(function (res) {
      if (res.status === 401 || res.status === 403) return askToken(t('dashBadToken'));
      if (res.status !== 200) return notify(t('loadFailed') + ' (' + res.status + ') : ' + messageOf(res), 'error');
      notify('');
      show('classes');
      document.title = t('classes') + ' · NetLabs';
      $('dash-title').textContent = t('dashboardTitle');
      $('class-meta').textContent = t('studentsCount', { n: res.body.reduce(function (n, c) { return n + c.labs; }, 0) });
      $('updated').textContent = '';
      var body = $('classes').querySelector('tbody');
      body.textContent = '';
      $('no-classes').hidden = res.body.length > 0;
      res.body.forEach(function (c) {
        var row = el('tr');
        row.dataset.classId = c.id;
        var name = el('td');
        var link = el('a', 'class-link', c.name);
        link.href = '#class=' + encodeURIComponent(c.id);
        name.appendChild(link);
        var counts = el('td');
        var box = el('span', 'counts');
        box.appendChild(el('span', 'muted', String(c.labs)));
        Object.keys(c.labsByStatus).forEach(function (status) {
          if (!c.labsByStatus[status]) return;
          box.appendChild(el('span', 'badge lab-' + status, c.labsByStatus[status] + ' ' + t('labStatus.' + status)));
        });
        counts.appendChild(box);
        var open = el('td');
        var button = el('a', 'button', t('openClass'));
        button.href = link.href;
        open.appendChild(button);
        row.append(name, el('td', 'muted', c.labDefinitionId), el('td', 'muted', fmtDate(c.createdAt)), counts, open);
        body.appendChild(row);
      });
    });
  }

  // ---- one class -------------------------------------------------------------------------

  function openClass(classId) {
    stopPolling();
    state.classId = classId;
    state.progress = null;
    state.lastRendered = '';
    return Promise.all([api('GET', '/classes/' + classId), api('GET', '/lab-definitions?lang=' + state.lang)]).then(function (answers) {
      var res = answers[0];
      if (res.status === 401) return askToken(t('dashBadToken'));
      if (res.status === 403 || res.status === 404 || res.status === 400) {
        // Not this token's class (or none): say so and show nothing of it; the admin gets the list back.
        state.classId = null;
        show(null);
        $('dash-title').textContent = t('dashboardTitle');
        $('class-meta').textContent = '';
        $('updated').textContent = '';
        document.title = t('dashboard') + ' · NetLabs';
        if (isInstructorLink()) return notify(t('dashClassGone'), 'error');
        return listClasses().then(function () { notify(t('dashClassGone'), 'error'); });
      }
      if (res.status !== 200) return notify(t('loadFailed') + ' (' + res.status + ') : ' + messageOf(res), 'error');
      state.klass = res.body;
      state.titles = {};
      var definitions = answers[1].status === 200 ? answers[1].body : [];
      definitions.forEach(function (d) {
        if (d.id === res.body.labDefinitionId) d.steps.forEach(function (s) { state.titles[s.id] = s.title; });
      });
      notify('');
      show('class');
      document.title = res.body.name + ' · NetLabs';
      $('dash-title').textContent = res.body.name;
      return refresh().then(startPolling);
    });
  }

  function refresh() {
    var classId = state.classId;
    if (!classId) return Promise.resolve();
    return api('GET', '/classes/' + classId + '/progress')
      .then(function (res) {
        if (classId !== state.classId) return;
        if (res.status === 401) return askToken(t('dashBadToken'));
        if (res.status !== 200) return notify(t('loadFailed') + ' (' + res.status + ') : ' + messageOf(res), 'error');
        state.progress = res.body;
        render();
      })
      .catch(function (error) {
        notify(t('unreachable') + ' : ' + error.message, 'error');
      });
  }

  function startPolling() {
    stopPolling();
    state.timer = setInterval(function () {
      if (!document.hidden && !$('ask').open) refresh();
    }, POLL_MS);
  }

  function stopPolling() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  function render(force) {
    var progress = state.progress;
    if (!progress) return;
    // A poll that changed nothing leaves the page alone (no row is rebuilt under the pointer).
    var key = JSON.stringify([progress.students, progress.steps, state.filter, state.options, state.lang, Math.floor(new Date(progress.generatedAt).getTime() / 60000)]);
    if (!force && key === state.lastRendered) return;
    state.lastRendered = key;
    var rows = Grid.rows(progress, state.filter, state.options, progress.generatedAt);
    var all = Grid.rows(progress, {}, state.options, progress.generatedAt);
    var stuck = all.filter(function (r) { return r.stuck.length; }).length;
    $('class-meta').textContent = [state.klass.labDefinitionId, t('studentsCount', { n: all.length })].join(' · ');
    $('updated').textContent = t('updated', { time: fmtTime(progress.generatedAt) });
    $('counts').textContent = [t('stuckCount', { n: stuck }), t('shown', { n: rows.length })].join(' · ');
    var grades = Grid.hasGrades(progress);
    renderHead(progress.steps, grades);
    var body = $('grid').querySelector('tbody');
    body.textContent = '';
    rows.forEach(function (row) {
      body.appendChild(renderRow(row, grades));
    });
    renderTotals(progress, grades);
    $('none-shown').hidden = rows.length > 0;
    renderLegend();
  }

  function renderHead(steps, grades) {
    var head = $('grid').querySelector('thead');
    head.textContent = '';
    var tr = el('tr');
    tr.append(el('th', null, t('studentCol')), el('th', null, t('labCol')), el('th', null, t('activityCol')), el('th', null, t('scoreCol')));
    steps.forEach(function (id) {
      var th = el('th', 'step-col', id);
      th.dataset.step = id;
      if (state.titles[id]) th.title = state.titles[id];
      tr.appendChild(th);
    });
    if (grades) tr.appendChild(el('th', 'grade-col', t('gradeCol')));
    tr.appendChild(el('th', null, t('actionsCol')));
    head.appendChild(tr);
  }

  function renderRow(row, grades) {
    var s = row.student;
    var tr = el('tr', row.stuck.length ? 'stuck' : '');
    tr.dataset.labId = s.labId;
    tr.dataset.student = s.externalId;
    tr.dataset.status = s.status;
    tr.dataset.stuck = row.stuck.length ? 'true' : 'false';

    var who = el('td', 'student');
    who.appendChild(el('span', 'who', s.externalId));
    if (s.displayName) who.appendChild(el('span', 'who-sub', s.displayName));
    row.stuck.forEach(function (reason) {
      who.appendChild(el('span', 'stuck-why', reason.kind === 'idle' ? t('stuckIdle', { n: reason.minutes }) : t('stuckFailures', { n: reason.attempts, step: reason.step })));
    });

    var lab = el('td', 'lab-state');
    lab.appendChild(el('span', 'badge lab-' + s.status, t('labStatus.' + s.status)));
    var why = [];
    if (s.endReason) why.push(t('endReason.' + s.endReason));
    if (s.failureReason) why.push(s.failureReason);
    if (why.length) lab.appendChild(el('span', 'why', why.join(' — ')));

    var activity = el('td', 'activity muted small');
    if (s.lastActivityAt) {
      activity.textContent = row.idleMinutes ? t('ago', { n: row.idleMinutes }) : t('justNow');
      activity.title = fmtDate(s.lastActivityAt);
    }

    var score = el('td', 'score', row.passed + ' / ' + row.cells.length);
    tr.append(who, lab, activity, score);

    row.cells.forEach(function (cell) {
      var td = el('td', 'cell');
      td.dataset.step = cell.step;
      td.dataset.state = cell.state;
      td.dataset.attempts = String(cell.attempts);
      td.title = cell.step + (state.titles[cell.step] ? ' · ' + state.titles[cell.step] : '') + ' — ' + t('cell.' + cell.state) + (cell.attempts ? ' (' + cell.attempts + ' ' + t(cell.attempts > 1 ? 'attempts' : 'attempt') + ')' : '');
      td.appendChild(el('span', 'mark', MARKS[cell.state]));
      if (cell.attempts) td.appendChild(el('span', 'tries', '×' + cell.attempts));
      tr.appendChild(td);
    });

    if (grades) tr.appendChild(renderGrade(s.grade));
    tr.appendChild(renderActions(s));
    return tr;
  }

  function renderGrade(grade) {
    var td = el('td', 'grade');
    if (!grade) {
      td.textContent = '—';
      return td;
    }
    td.dataset.grade = grade.status;
    var label = t('grade.' + grade.status);
    if (grade.scoreGiven !== undefined && grade.scoreGiven !== null) label += ' ' + grade.scoreGiven + '/' + (grade.scoreMaximum !== undefined ? grade.scoreMaximum : '?');
    td.appendChild(el('span', 'badge grade-' + grade.status, label));
    if (grade.error) td.appendChild(el('span', 'why', grade.error));
    if (grade.updatedAt) td.title = fmtDate(grade.updatedAt);
    return td;
  }

  function renderActions(s) {
    var td = el('td', 'actions');
    [
      ['view', 'secondary'],
      ['extend', 'secondary'],
      ['reset', 'secondary'],
      ['rotate', 'secondary'],
      ['remove', 'secondary danger'],
    ].forEach(function (a) {
      var button = el('button', a[1], t(a[0]));
      button.type = 'button';
      button.dataset.action = a[0];
      if (a[0] === 'view') button.title = t('viewTitle');
      // What the lab's state makes pointless (the API would answer 409): greyed, not hidden, so rows line up.
      if ((a[0] === 'reset' || a[0] === 'remove') && (s.status === 'provisioning' || s.status === 'destroying')) button.disabled = true;
      if (a[0] === 'remove' && s.status === 'destroyed') button.disabled = true;
      button.addEventListener('click', function () {
        act(a[0], s);
      });
      td.appendChild(button);
    });
    return td;
  }

  function renderTotals(progress, grades) {
    var foot = $('grid').querySelector('tfoot');
    foot.textContent = '';
    var tr = el('tr');
    tr.appendChild(el('td', null, ''));
    tr.appendChild(el('td', null, ''));
    tr.appendChild(el('td', null, ''));
    tr.appendChild(el('td', null, ''));
    Grid.stepTotals(progress).forEach(function (total) {
      var td = el('td', 'cell total', String(total['own-work'] + total.solution) + ' ✓');
      td.title = ['own-work', 'solution', 'failed', 'pending'].map(function (k) { return t('cell.' + k) + ' : ' + total[k]; }).join('\n');
      tr.appendChild(td);
    });
    if (grades) tr.appendChild(el('td'));
    tr.appendChild(el('td'));
    foot.appendChild(tr);
  }

  function renderLegend() {
    var legend = $('legend');
    legend.textContent = '';
    legend.appendChild(el('span', null, t('legend') + ' :'));
    ['own-work', 'solution', 'failed', 'pending'].forEach(function (k) {
      var item = el('span', 'cell ' + k);
      item.append(el('span', 'mark', MARKS[k]), el('span', null, t('cell.' + k)));
      legend.appendChild(item);
    });
  }

  // ---- actions ----------------------------------------------------------------------------

  /**
   * A modal question. `options`: message, number (a default value: asks for minutes),
   * check (a checkbox label), link (a value shown read-only with a copy button), info (only
   * a Close button). Resolves to null when cancelled, else {number, checked}.
   */
  function ask(options) {
    var dialog = $('ask');
    $('ask-message').textContent = options.message;
    $('ask-number-row').hidden = options.number === undefined;
    $('ask-number').value = options.number !== undefined ? String(options.number) : '';
    $('ask-check-row').hidden = !options.check;
    $('ask-check').checked = !!options.checked;
    $('ask-check-label').textContent = options.check || '';
    $('ask-link-row').hidden = !options.link;
    $('ask-link').value = options.link || '';
    $('ask-copy').textContent = t('copy');
    $('ask-cancel').hidden = !!options.info;
    $('ask-ok').textContent = options.info ? t('close') : t('confirm');
    dialog.returnValue = '';
    return new Promise(function (resolve) {
      dialog.addEventListener(
        'close',
        function () {
          if (dialog.returnValue !== 'ok') return resolve(null);
          resolve({ number: Number($('ask-number').value), checked: $('ask-check').checked });
        },
        { once: true },
      );
      dialog.showModal();
      if (options.link) $('ask-link').select();
    });
  }

  function act(action, s) {
    var who = s.externalId;
    if (action === 'view') {
      // The student's page, read-only for this token (GET /labs/:id says viewer: instructor | admin).
      window.open('/labs/' + s.labId + '/page#token=' + encodeURIComponent(state.token), '_blank', 'noopener');
      return Promise.resolve();
    }
    var question =
      action === 'extend'
        ? { message: t('extendAsk', { who: who }), number: 60 }
        : action === 'reset'
          ? { message: t('resetAsk', { who: who }), check: t('clearProgress'), checked: false }
          : action === 'remove'
            ? { message: t('removeAsk', { who: who }) }
            : { message: t('rotateAsk', { who: who }) };
    return ask(question).then(function (answer) {
      if (!answer) return;
      var call =
        action === 'extend'
          ? api('POST', '/labs/' + s.labId + '/extend', { minutes: Math.floor(answer.number) })
          : action === 'reset'
            ? api('POST', '/labs/' + s.labId + '/reset', { clearProgress: answer.checked })
            : action === 'remove'
              ? api('DELETE', '/labs/' + s.labId)
              : api('POST', '/labs/' + s.labId + '/token', {});
      return call.then(function (res) {
        if (res.status >= 300) return notify(t('actionFailed') + ' (' + res.status + ') : ' + messageOf(res), 'error');
        notify(t('done.' + action, { who: who, time: res.body && res.body.expiresAt ? fmtDate(res.body.expiresAt) : '' }), 'info');
        refresh();
        if (action === 'rotate') return ask({ message: t('newLink', { who: who }), link: res.body.url, info: true });
      });
    });
  }

  function exportCsv() {
    if (!state.classId) return;
    fetch('/classes/' + state.classId + '/progress.csv', { headers: { authorization: 'Bearer ' + state.token } })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        var disposition = res.headers.get('content-disposition') || '';
        var name = /filename="([^"]+)"/.exec(disposition);
        return res.blob().then(function (blob) {
          var link = document.createElement('a');
          link.href = URL.createObjectURL(blob);
          link.download = name ? name[1] : 'progress.csv';
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
        });
      })
      .catch(function (error) {
        notify(t('csvFailed') + ' : ' + error.message, 'error');
      });
  }

  // ---- start ------------------------------------------------------------------------------

  function setLang(lang) {
    state.lang = lang;
    window.NetLabsI18n.use(lang);
    $('lang').value = lang;
  }

  function start() {
    setLang(state.lang);
    $('lang').addEventListener('change', function () {
      localStorage.setItem('netlabs.lang', $('lang').value);
      setLang($('lang').value);
      if (state.token) route();
    });
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var value = $('token-input').value.trim();
      $('token-input').value = '';
      // A whole dashboard link pasted: take its class and token.
      var hash = value.indexOf('#') >= 0 ? new URLSearchParams(value.slice(value.indexOf('#') + 1)) : null;
      state.token = hash && hash.get('token') ? hash.get('token') : value;
      sessionStorage.setItem(TOKEN_KEY, state.token);
      if (hash && hash.get('class')) history.replaceState(null, '', location.pathname + '#class=' + encodeURIComponent(hash.get('class')));
      route();
    });
    $('all-classes').addEventListener('click', function (event) {
      event.preventDefault();
      history.pushState(null, '', location.pathname);
      route();
    });
    $('filter-stuck').addEventListener('change', function () {
      state.filter.stuck = $('filter-stuck').checked;
      render(true);
    });
    $('filter-status').addEventListener('change', function () {
      state.filter.status = $('filter-status').value;
      render(true);
    });
    $('opt-failures').value = String(state.options.failures);
    $('opt-idle').value = String(state.options.idleMinutes);
    ['opt-failures', 'opt-idle'].forEach(function (id) {
      $(id).addEventListener('input', function () {
        var failures = Number($('opt-failures').value);
        var idle = Number($('opt-idle').value);
        if (failures > 0) state.options.failures = failures;
        if (idle > 0) state.options.idleMinutes = idle;
        localStorage.setItem(OPTIONS_KEY, JSON.stringify(state.options));
        render(true);
      });
    });
    $('export-csv').addEventListener('click', exportCsv);
    $('ask-copy').addEventListener('click', function () {
      $('ask-link').select();
      if (navigator.clipboard) navigator.clipboard.writeText($('ask-link').value).catch(function () {});
      $('ask-copy').textContent = t('copied');
    });
    window.addEventListener('hashchange', function () {
      if (fragment().get('token')) state.token = takeToken();
      route();
    });
    state.token = takeToken();
    route();
  }

  start();
})();
