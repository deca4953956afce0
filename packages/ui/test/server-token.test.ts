import { startUiServer } from '../src';
import { request, startFixture, type Fixture } from './fixture';

const TOKEN = 'a-long-enough-secret-token-0123456789';

describe('dashboard access token', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture({ token: TOKEN });
  });
  afterAll(() => f.close());

  test('without the token every path is refused, the page and the event stream included', async () => {
    for (const path of ['/', '/assets/app.js', '/api/runs', '/api/events']) {
      const reply = await request(`${f.base}${path}`);
      expect(reply.status).toBe(401);
      expect(reply.json().error.message).toMatch(/needs its access token/);
    }
  });

  test('a wrong token, or one that is only a prefix, is refused', async () => {
    for (const wrong of ['nope', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      expect((await request(`${f.base}/api/runs`, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
    }
  });

  test('Authorization: Bearer with the token is let in', async () => {
    expect((await request(`${f.base}/api/runs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  test('with a token, any Host name is served (other machines reach it by names it cannot know)', async () => {
    const reply = await request(`${f.base}/api/runs`, {
      headers: { authorization: `Bearer ${TOKEN}`, host: `dashboard.lan:${f.server.port}` },
    });
    expect(reply.status).toBe(200);
  });

  test('the printed link moves the token into an HttpOnly, SameSite=Strict cookie that is then accepted', async () => {
    expect(f.server.url).toContain(`?token=${TOKEN}`);
    const first = await request(`${f.base}/?token=${TOKEN}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = (first.headers['set-cookie'] as string[])[0] as string;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const next = await request(`${f.base}/`, { headers: { cookie: cookie.split(';')[0] as string } });
    expect(next.status).toBe(200);
    expect(next.body).toContain('csrf-token');
  });
});

describe('listening beyond loopback', () => {
  const options = { history: {} as never, actions: {} as never, port: 0 };

  test('a non-loopback host without a token is refused before anything listens', async () => {
    await expect(startUiServer({ ...options, host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'CASCADENCE_UI_TOKEN_REQUIRED',
      message: expect.stringMatching(/--host 0\.0\.0\.0 is reachable from other machines/),
    });
  });

  test('a short token is refused', async () => {
    await expect(startUiServer({ ...options, host: '0.0.0.0', token: 'short' })).rejects.toMatchObject({
      code: 'CASCADENCE_UI_INVALID_OPTION',
    });
  });
});
