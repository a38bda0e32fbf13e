// The Results view (results grouped by severity, with counts; conditions;
// readiness as the pipeline sets it) and the summary chips above the views.

import { chip, conditionTone, element } from '../dom.js';
import { plural, severityName } from '../view.js';

const SEVERITIES = ['FATAL', 'WARNING', 'NORMAL'];

/** Results by severity name, in severity order: [[severity, results]]. */
function bySeverity(results) {
  return SEVERITIES.map((severity) => [severity, results.filter((result) => severityName(result.severity) === severity)]);
}

export function renderSummary(summary, { objects, results, conditions }, fatal) {
  summary.replaceChildren();
  const count = (kind) => objects.filter((object) => object.kind === kind).length;
  summary.append(chip(plural(count('Secret'), 'Secret'), 'neutral'));
  if (count('ConfigMap')) summary.append(chip(plural(count('ConfigMap'), 'ConfigMap'), 'neutral'));
  const groups = bySeverity(results);
  for (const [severity, group] of groups) {
    if (group.length) summary.append(chip(plural(group.length, severity.toLowerCase()), severity.toLowerCase()));
  }
  for (const condition of conditions) {
    summary.append(chip(`${condition.type}: ${condition.status}`, conditionTone(condition.status)));
  }
  if (fatal && groups[0][1].length === 0) summary.append(chip('fatal', 'fatal'));
}

export function renderResults(container, { results, conditions, readiness }) {
  container.replaceChildren();
  const groups = bySeverity(results);
  const counts = groups.map(([severity, group]) => `${group.length} ${severity.toLowerCase()}`).join(', ');
  container.append(element('h3', {}, 'Results'), element('p', { className: 'meta' }, results.length ? counts : 'No results.'));
  for (const [severity, group] of groups) {
    if (group.length === 0) continue;
    const tone = severity.toLowerCase();
    const section = element('section', { className: `severity-group ${tone}`, 'aria-label': `${severity} results` });
    const heading = element('h4', {}, `${severity} `);
    heading.append(element('span', { className: 'count' }, String(group.length)));
    section.append(heading);
    section.append(
      list(group, (result) => ({
        className: `result ${tone}`,
        tone,
        badge: severity,
        message: result.message ?? '',
        meta: [result.reason && `reason ${result.reason}`, result.step && `step ${result.step}`].filter(Boolean).join(' · '),
      })),
    );
    container.append(section);
  }

  container.append(element('h3', {}, 'Conditions'));
  if (conditions.length === 0) container.append(element('p', { className: 'empty' }, 'No conditions.'));
  else {
    container.append(
      list(conditions, (condition) => {
        const tone = conditionTone(condition.status);
        return {
          className: `result condition ${tone}`,
          tone,
          badge: condition.status === 'True' ? 'Ready' : condition.status === 'False' ? 'Not ready' : condition.status,
          message: `${condition.type} is ${condition.status}: ${condition.message ?? ''}`,
          meta: condition.reason ? `reason ${condition.reason}` : '',
        };
      }),
    );
  }

  if (readiness) {
    container.append(element('h3', {}, 'Readiness'));
    const table = element('table', { className: 'readiness' });
    table.append(tableRow('th', ['Resource', 'Ready, as set by the pipeline']));
    table.append(tableRow('td', ['composite resource', readiness.composite ?? 'Unspecified']));
    for (const [name, ready] of Object.entries(readiness.composedResources ?? {})) {
      table.append(tableRow('td', [name, ready]));
    }
    container.append(table);
    if (readiness.ttl) container.append(element('p', { className: 'meta' }, `Crossplane calls again within ${readiness.ttl}.`));
  }
}

/** A list of badged entries; `describe` gives each entry's parts. */
function list(entries, describe) {
  const ul = element('ul', { className: 'results' });
  for (const entry of entries) {
    const { className, tone, badge, message, meta } = describe(entry);
    const item = element('li', { className });
    item.append(element('span', { className: `badge ${tone}` }, badge));
    const body = element('div', { className: 'result-body' });
    body.append(element('p', { className: 'result-message' }, message));
    if (meta) body.append(element('p', { className: 'meta' }, meta));
    item.append(body);
    ul.append(item);
  }
  return ul;
}

function tableRow(cell, values) {
  const row = element('tr');
  for (const value of values) {
    const td = element(cell, cell === 'th' ? { scope: 'col' } : {}, value);
    if (cell === 'td' && /^(True|False)$/.test(value)) td.className = value === 'True' ? 'ok-text' : 'fatal-text';
    row.append(td);
  }
  return row;
}
