// Suggestions while typing, for every search box with data-suggest: the
// words the viewer may find that complete the last word typed fill the
// box's <datalist>. Without JavaScript the boxes are plain search forms.
(function () {
  'use strict';
  document.querySelectorAll('input[data-suggest]').forEach(function (input) {
    var list = document.getElementById(input.getAttribute('list'));
    if (!list) return;
    var timer = 0, asked = '';
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value;
        var word = q.split(/\s+/).pop();
        if (q === asked) return;
        asked = q;
        if (word.length < 3) { list.replaceChildren(); return; }
        fetch('/api/v1/search/suggest?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (d) {
            if (input.value !== q) return;
            var head = q.slice(0, q.length - word.length);
            list.replaceChildren.apply(list, d.suggestions.map(function (s) {
              var o = document.createElement('option');
              o.value = head + s;
              return o;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
