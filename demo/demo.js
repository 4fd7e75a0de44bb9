// Demo page behaviour: the theme switcher (it only swaps a class on <html>) and a CTA that uses
// the JS API. External file, so the page runs under a strict CSP.
document.addEventListener('change', function (event) {
  var input = event.target;
  if (input.name !== 'theme') return;
  document.documentElement.className = input.value === 'default' ? '' : 'theme-' + input.value;
});
document.getElementById('talk').addEventListener('click', function () {
  window.Helpwire.open();
});
