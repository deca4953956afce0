import { pageHeaders, request, startFixture, type Fixture } from './fixture';

// The dashboard's security checks, over real HTTP against a real server and history.
describe('dashboard security: CSRF, Origin, Host and methods', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
  });
  afterAll(() => f.close());
  beforeEach(() => f.actions.calls.splice(0));

  test('every answer carries the strict Content-Security-Policy and nosniff', async () => {
    for (const path of ['/', '/assets/app.js', '/api/runs', '/api/nothing']) {
      const reply = await request(`${f.base}${path}`);
      expect(reply.headers['content-security-policy']).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  test('the page carries the CSRF token in a meta tag and loads only its own scripts', async () => {
    const page = (await request(`${f.base}/`)).body;
    expect(page).toContain(`<meta name="csrf-token" content="${f.server.csrfToken}">`);
    expect(page.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/assets/app.js">']);
    expect(page).not.toMatch(/<script[^>]*>[^<]+<\/script>/); // no inline code
  });

  test('an action with the token from the page reaches the project', async () => {
    const reply = await request(`${f.base}/api/schedules/nightly/pause`, { method: 'POST', headers: pageHeaders(f.server), body: '{}' });
    expect(reply.status).toBe(200);
    expect(f.actions.calls).toEqual(['pause nightly']);
  });

  test.each([
    ['no CSRF token', { 'x-cascadence-csrf': '' }, /CSRF token/],
    ['a wrong CSRF token', { 'x-cascadence-csrf': 'f'.repeat(64) }, /CSRF token/],
    ['another site as Origin', { origin: 'http://evil.example' }, /another site/],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, /another site/],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, /application\/json/],
  ])('an action with %s is refused with 403 and does nothing', async (_what, headers, message) => {
    const reply = await request(`${f.base}/api/tasks/ok/disable`, { method: 'POST', headers: pageHeaders(f.server, headers), body: '{}' });
    expect(reply.status).toBe(403);
    expect(reply.json().error.message).toMatch(message);
    expect(f.actions.calls).toEqual([]);
  });

  test('GET on an action path changes nothing', async () => {
    for (const path of ['/api/tasks/ok/disable', '/api/schedules/ok/pause', '/api/runs/x/retry', '/api/tasks/ok/run']) {
      expect((await request(`${f.base}${path}`)).status).toBe(404);
    }
    expect(f.actions.calls).toEqual([]);
  });

  test('a request naming another host (DNS rebinding) is refused', async () => {
    const reply = await request(`${f.base}/api/runs`, { headers: { host: `attacker.example:${f.server.port}` } });
    expect(reply.status).toBe(421);
    expect(reply.json().error.message).toMatch(/does not answer for host "attacker.example/);
  });

  test('other methods are refused', async () => {
    expect((await request(`${f.base}/api/runs`, { method: 'DELETE' })).status).toBe(405);
  });

  test('names in action paths are percent-decoded, whatever they contain', async () => {
    const name = 'a/b <c> "d"';
    const reply = await request(`${f.base}/api/tasks/${encodeURIComponent(name)}/enable`, {
      method: 'POST',
      headers: pageHeaders(f.server),
      body: '{}',
    });
    expect(reply.status).toBe(200);
    expect(f.actions.calls).toEqual([`enable ${name}`]);
  });
});
