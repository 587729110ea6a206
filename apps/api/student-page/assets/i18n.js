'use strict';
// Every word the student page shows, in French and English. The lab's language comes from
// the class (the API's `language`), the student may switch it; check names and messages
// come translated from the API itself (?lang=).
(function () {
  var WORDS = {
    fr: {
      loading: 'Chargement de votre lab…',
      language: 'Langue',
      tokenNeeded: 'Cette page a besoin du jeton de votre lab.',
      open: 'Ouvrir',
      instructions: 'Consignes',
      terminals: 'Terminaux',
      container: 'Conteneur',
      openTerminal: 'Ouvrir un terminal',
      screensEmpty: 'Votre console (la « machine hôte » du TP) s’ouvre ici ; vous pouvez aussi ouvrir un terminal dans un de vos conteneurs.',
      consoleName: 'console (machine hôte)',
      notCreated: 'pas encore créé',
      terminalsCount: 'terminaux',
      closeTerminal: 'Fermer ce terminal (termine son shell)',
      reopen: 'Rouvrir',
      student: 'Étudiant·e',
      stepsPassed: 'étapes validées',
      status: { passed: 'validée', failed: 'pas encore', pending: 'à faire' },
      labStatus: { provisioning: 'en préparation', ready: 'prêt', failed: 'en échec', destroying: 'en suppression', destroyed: 'terminé' },
      attempt: 'essai',
      attempts: 'essais',
      yourAnswer: 'Votre réponse',
      answerTo: 'Réponse à l’étape',
      verify: 'Vérifier',
      checking: 'Vérification…',
      passedTitle: '✓ Étape validée',
      failedTitle: '✗ Pas encore',
      typeAnswer: 'Écrivez votre réponse d’abord.',
      preparing: 'Votre lab est en préparation : cette page se met à jour toute seule.',
      labIs: 'Ce lab est',
      askInstructor: 'Demandez à votre enseignant·e.',
      badToken: 'Ce jeton n’ouvre pas ce lab. Vérifiez le lien ou le jeton donné par votre enseignant·e.',
      loadFailed: 'Impossible de charger le lab',
      tryAgain: 'réessayez',
      unreachable: 'NetLabs ne répond pas',
      tooLong: 'la vérification prend trop de temps ; réessayez',
      verifyFailed: 'la vérification a échoué',
      notALabPage: 'Cette adresse n’est pas une page de lab.',
      complete: 'Bravo : les {n} étapes du TP sont validées !',
      openSite: 'Ouvrir mon serveur web',
      runSolution: 'Exécuter la solution',
      runConfirm: 'Exécuter la solution de référence dans votre lab ? L’étape comptera comme validée avec la solution.',
      solutionTitle: 'Solution exécutée : voici ce qu’elle a fait',
      terminalGone: 'le conteneur {c} n’existe plus (supprimé par docker rm ?)',
      terminalEnded: 'terminal terminé',
      terminalLost: 'connexion perdue',
      serverLost: 'Ce terminal s’est fermé : le serveur NetLabs qui le faisait tourner s’est arrêté. Votre lab et vos conteneurs sont toujours là : seule cette fenêtre de terminal est perdue. Ouvrez un nouveau terminal pour continuer.',
      openNewTerminal: 'Ouvrir un nouveau terminal',
      closeOrReopen: 'fermez cet onglet ou rouvrez un terminal',
      openFailed: 'impossible d’ouvrir un terminal',
      outputLost: 'une partie de la sortie a été perdue pendant votre absence',
      ended: { ended: 'terminé', idle: 'fermé : inactif', restarted: 'fermé : NetLabs a redémarré', taken: 'repris par une autre page', revoked: 'fermé : jeton révoqué' },
      readOnly: 'Lecture seule : le lab de {who}, tel qu’il est maintenant. Vérifier, exécuter une solution et les terminaux restent à l’étudiant·e.',
    },
    en: {
      loading: 'Loading your lab…',
      language: 'Language',
      tokenNeeded: 'This page needs your lab token.',
      open: 'Open',
      instructions: 'Instructions',
      terminals: 'Terminals',
      container: 'Container',
      openTerminal: 'Open terminal',
      screensEmpty: 'Your console (the TP\'s "host machine") opens here; you may also open a terminal in one of your containers.',
      consoleName: 'console (host machine)',
      notCreated: 'not created yet',
      terminalsCount: 'terminals',
      closeTerminal: 'Close this terminal (ends its shell)',
      reopen: 'Reopen',
      student: 'Student',
      stepsPassed: 'steps passed',
      status: { passed: 'passed', failed: 'not yet', pending: 'to do' },
      labStatus: { provisioning: 'being prepared', ready: 'ready', failed: 'failed', destroying: 'being removed', destroyed: 'ended' },
      attempt: 'attempt',
      attempts: 'attempts',
      yourAnswer: 'Your answer',
      answerTo: 'Answer to step',
      verify: 'Verify',
      checking: 'Checking…',
      passedTitle: '✓ Step passed',
      failedTitle: '✗ Not yet',
      typeAnswer: 'Type your answer first.',
      preparing: 'Your lab is being prepared: this page updates by itself.',
      labIs: 'This lab is',
      askInstructor: 'Ask your instructor.',
      badToken: 'This token does not open this lab. Check the link or the token your instructor gave you.',
      loadFailed: 'Could not load the lab',
      tryAgain: 'try again',
      unreachable: 'could not reach NetLabs',
      tooLong: 'the check is taking too long; try again',
      verifyFailed: 'verification failed',
      notALabPage: 'This address is not a lab page.',
      complete: 'Well done: all {n} steps of the TP are passed!',
      openSite: 'Open my web server',
      runSolution: 'Run the solution',
      runConfirm: 'Run the reference solution in your lab? The step will count as passed with the solution.',
      solutionTitle: 'Solution run: here is what it did',
      terminalGone: 'container {c} no longer exists (removed with docker rm?)',
      terminalEnded: 'terminal ended',
      terminalLost: 'connection lost',
      serverLost: 'This terminal closed: the NetLabs server running it stopped. Your lab and your containers are still there: only this terminal window is lost. Open a new terminal to go on.',
      openNewTerminal: 'Open a new terminal',
      closeOrReopen: 'close this tab or reopen a terminal',
      openFailed: 'could not open a terminal',
      outputLost: 'some output was lost while you were away',
      ended: { ended: 'ended', idle: 'closed: idle', restarted: 'closed: NetLabs restarted', taken: 'taken over by another page', revoked: 'closed: token revoked' },
      readOnly: 'Read-only: {who}’s lab as it is now. Verifying, running a solution and terminals are the student’s.',
    },
  };
  var current = 'fr';

  function t(key, vars) {
    var value = key.split('.').reduce(function (o, k) { return o && o[k]; }, WORDS[current]);
    if (typeof value !== 'string') value = key.split('.').reduce(function (o, k) { return o && o[k]; }, WORDS.en) || key;
    return value.replace(/\{(\w+)\}/g, function (_, name) { return vars && vars[name] !== undefined ? String(vars[name]) : ''; });
  }

  /** Sets the language and translates every element marked data-i18n (text) or data-i18n-title. */
  function use(lang) {
    current = WORDS[lang] ? lang : 'en';
    document.documentElement.lang = current;
    document.querySelectorAll('[data-i18n]').forEach(function (node) { node.textContent = t(node.dataset.i18n); });
    document.querySelectorAll('[data-i18n-aria]').forEach(function (node) { node.setAttribute('aria-label', t(node.dataset.i18nAria)); });
  }

  /** More words, per language (the dashboard's, dashboard-i18n.js); a key already known is replaced. */
  function add(more) {
    Object.keys(more).forEach(function (lang) {
      WORDS[lang] = WORDS[lang] || {};
      Object.keys(more[lang]).forEach(function (key) { WORDS[lang][key] = more[lang][key]; });
    });
  }

  window.NetLabsI18n = { t: t, use: use, add: add, lang: function () { return current; } };
})();
