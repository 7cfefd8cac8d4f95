(function () {
  var drawer = document.getElementById('drawer');
  function showTab(name) {
    document.querySelectorAll('[role=tab]').forEach(function (b) {
      b.setAttribute('aria-selected', String(b.dataset.tab === name)); });
    document.querySelectorAll('.panel').forEach(function (p) { p.hidden = p.id !== 'panel-' + name; });
  }
  function openDrawer(runId) {
    var template = document.getElementById('errors-' + runId);
    document.getElementById('drawer-body').replaceChildren(template.content.cloneNode(true));
    document.getElementById('drawer-title').textContent = 'Errors of run ' + runId.split(':')[0];
    drawer.hidden = false;
  }
  document.querySelectorAll('[role=tab]').forEach(function (b) {
    b.addEventListener('click', function () { showTab(b.dataset.tab); }); });
  document.querySelectorAll('button[data-errors]').forEach(function (b) {
    b.addEventListener('click', function () { openDrawer(b.dataset.errors); }); });
  document.getElementById('drawer-close').addEventListener('click', function () { drawer.hidden = true; });

  function visible(id) { var el = document.getElementById(id); return !!el && !el.hidden && el.getClientRects().length > 0; }
  function rows(panel) {
    return Array.prototype.map.call(document.querySelectorAll('#' + panel + ' table.objects tbody tr[data-object]'), function (tr) {
      return { account: tr.dataset.account, name: tr.dataset.object, status: tr.querySelector('.badge').textContent.trim() }; });
  }
  function selftest() {
    var result = {imports_hidden_at_start: !visible('panel-imports') && visible('panel-historical')};
    document.getElementById('tab-periodic').click();
    result.periodic_shown = visible('panel-periodic') && !visible('panel-historical');
    result.periodic_rows = rows('panel-periodic');
    document.getElementById('tab-historical').click();
    result.historical_shown = visible('panel-historical') && !visible('panel-periodic');
    result.historical_rows = rows('panel-historical');
    document.getElementById('tab-periodic').click();
    var button = document.querySelector('#panel-periodic button[data-errors]') ||
                 document.querySelector('button[data-errors]');
    result.drawer_closed_before = !visible('drawer');
    if (button) {
      if (!visible(button.closest('.panel').id)) { document.getElementById('tab-' + button.closest('.panel').dataset.tab).click(); }
      button.click();
      result.drawer_open = visible('drawer');
      result.drawer_errors = Array.prototype.map.call(document.querySelectorAll('#drawer-body .error'), function (e) {
        return { summary: e.querySelector('.summary').textContent, code: e.querySelector('.code').textContent,
                 external_message: e.querySelector('.external').textContent, date: e.querySelector('.date').textContent };
      });
    }
    result.chart_lines = document.querySelectorAll('#freshness-chart polyline').length;
    document.getElementById('tab-imports').click();
    result.imports_shown = visible('panel-imports') && !visible('panel-historical') && !visible('panel-periodic');
    result.imports_rows = Array.prototype.map.call(document.querySelectorAll('#panel-imports tbody tr[data-import]'), function (tr) {
      function cell(name) { return tr.querySelector('.' + name).textContent.trim(); }
      return { id: tr.dataset.import, account: tr.dataset.account, status: tr.querySelector('.badge').textContent.trim(),
               rows: cell('rows'), sent: cell('sent'), date: cell('date'), by: cell('by'), file: cell('file'), error: cell('import-error') }; });
    document.getElementById('tab-periodic').click();  // where the self-test ended before the Imports tab
    document.getElementById('selftest-result').textContent = JSON.stringify(result);
  }
  var params = new URLSearchParams(location.search);
  if (params.get('tab') && document.getElementById('tab-' + params.get('tab'))) { showTab(params.get('tab')); }
  if (params.has('selftest')) { selftest(); }
})();
