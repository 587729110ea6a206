'use strict';
// What the instructor dashboard computes from GET /classes/:id/progress: each cell of the
// grid, who is stuck and why, the filters. No DOM here: the page (dashboard.js) and the unit
// tests (dashboard-grid.spec.ts) use the same code.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.NetLabsGrid = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  /** N failed verifies of a step not passed, or M idle minutes in a lab not finished. */
  var DEFAULTS = { failures: 3, idleMinutes: 15 };
  /** Labs whose student can no longer be working in them: never "idle", they are over. */
  var ENDED = { destroying: true, destroyed: true };

  function own(object, key) {
    return !!object && Object.prototype.hasOwnProperty.call(object, key);
  }

  /**
   * One cell: `own-work` (passed by the student's own work), `solution` (passed after running
   * the step's solution), `failed` or `pending`, with the verifies it took.
   */
  function cellOf(student, stepId) {
    var status = (student.steps && student.steps[stepId]) || 'pending';
    var attempts = (student.attempts && student.attempts[stepId]) || 0;
    if (status === 'passed') return { state: student.passedWith && student.passedWith[stepId] === 'solution' ? 'solution' : 'own-work', attempts: attempts };
    return { state: status === 'failed' ? 'failed' : 'pending', attempts: attempts };
  }

  function passedCount(student, steps) {
    return steps.filter(function (id) { return student.steps && student.steps[id] === 'passed'; }).length;
  }

  function isFinished(student, steps) {
    return steps.length > 0 && passedCount(student, steps) === steps.length;
  }

  /** Whole minutes since the student's last activity, by the server's clock (`now`). */
  function idleMinutes(student, now) {
    if (!student.lastActivityAt) return null;
    var since = new Date(now).getTime() - new Date(student.lastActivityAt).getTime();
    return since > 0 ? Math.floor(since / 60000) : 0;
  }

  function settings(options) {
    var o = options || {};
    return {
      failures: Number.isFinite(o.failures) && o.failures > 0 ? Math.floor(o.failures) : DEFAULTS.failures,
      idleMinutes: Number.isFinite(o.idleMinutes) && o.idleMinutes > 0 ? o.idleMinutes : DEFAULTS.idleMinutes,
    };
  }

  /**
   * Why this student looks stuck, empty when they do not: every step not passed with at
   * least N failed verifies (a step not passed has only failed ones), and M minutes without
   * activity while the TP is not finished and the lab is not over.
   */
  function stuckReasons(student, steps, options, now) {
    var o = settings(options);
    var reasons = [];
    steps.forEach(function (stepId) {
      var cell = cellOf(student, stepId);
      if (cell.state === 'failed' && cell.attempts >= o.failures) reasons.push({ kind: 'failures', step: stepId, attempts: cell.attempts });
    });
    var idle = idleMinutes(student, now);
    if (!isFinished(student, steps) && !ENDED[student.status] && idle !== null && idle >= o.idleMinutes) reasons.push({ kind: 'idle', minutes: idle });
    return reasons;
  }

  /**
   * The students the grid shows: `filter.stuck` keeps the stuck ones, `filter.status` one lab
   * status ('' for any). Each comes with its cells and stuck reasons, in the API's order.
   */
  function rows(progress, filter, options, now) {
    var steps = progress.steps || [];
    var f = filter || {};
    var at = now || progress.generatedAt || Date.now();
    return (progress.students || [])
      .map(function (student) {
        return {
          student: student,
          cells: steps.map(function (id) { return Object.assign({ step: id }, cellOf(student, id)); }),
          passed: passedCount(student, steps),
          stuck: stuckReasons(student, steps, options, at),
          idleMinutes: idleMinutes(student, at),
        };
      })
      .filter(function (row) {
        if (f.stuck && !row.stuck.length) return false;
        if (f.status && row.student.status !== f.status) return false;
        return true;
      });
  }

  /** Per step, how many students are in each state (the grid's footer). */
  function stepTotals(progress) {
    var steps = progress.steps || [];
    return steps.map(function (id) {
      var totals = { step: id, 'own-work': 0, solution: 0, failed: 0, pending: 0 };
      (progress.students || []).forEach(function (student) { totals[cellOf(student, id).state]++; });
      return totals;
    });
  }

  /**
   * Whether the class passes grades back (LTI): some student has a grade post. The API gives
   * every student `grade` (null before any post), so a class without LTI shows no column.
   */
  function hasGrades(progress) {
    return (progress.students || []).some(function (student) { return own(student, 'grade') && student.grade !== null; });
  }

  return { DEFAULTS: DEFAULTS, cellOf: cellOf, isFinished: isFinished, idleMinutes: idleMinutes, stuckReasons: stuckReasons, rows: rows, stepTotals: stepTotals, hasGrades: hasGrades };
});
