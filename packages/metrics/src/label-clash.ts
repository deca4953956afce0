/**
 * Pushgateway grouping labels are written onto every pushed series, replacing a label of the same
 * name: grouping by `task` would turn `task="fetch"` into `task="report"` everywhere. This finds
 * the grouping keys that are also label names of the pushed samples.
 */

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\s/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g;

/** Label names used by the samples of a Prometheus text exposition, with one metric name each (for messages). */
export function sampleLabels(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (match === null) continue;
    for (const label of (match[2] as string).matchAll(LABEL)) {
      if (!labels.has(label[1] as string)) labels.set(label[1] as string, match[1] as string);
    }
  }
  return labels;
}

/** Grouping keys that clash with sample labels, each with a metric that carries it. */
export function clashingGroupings(groupings: Record<string, string>, text: string): Array<{ label: string; metric: string }> {
  const labels = sampleLabels(text);
  return Object.keys(groupings)
    .filter((label) => labels.has(label))
    .map((label) => ({ label, metric: labels.get(label) as string }));
}
