import { temporalWorkflowUrl } from '../src/ui-actions';

describe('links from the dashboard to the Temporal Web UI', () => {
  test('a workflow run links to its history page in the namespace', () => {
    expect(temporalWorkflowUrl('http://localhost:8233/', 'default', 'cascadence-report-1', 'abc-123')).toBe(
      'http://localhost:8233/namespaces/default/workflows/cascadence-report-1/abc-123/history',
    );
  });

  test('ids are path-encoded, so an id cannot leave its path segment', () => {
    expect(temporalWorkflowUrl('https://t.example', 'ns/x', 'a/../b?c#d', undefined)).toBe(
      'https://t.example/namespaces/ns%2Fx/workflows/a%2F..%2Fb%3Fc%23d',
    );
  });
});
