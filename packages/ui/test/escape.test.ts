import { escapeHtml } from '../src';
import { indexPage } from '../src/html';

const HOSTILE = [
  '<script>alert(1)</script>',
  '" onmouseover="alert(1)',
  "' autofocus onfocus='alert(1)",
  '`${alert(1)}`',
  '&lt;already&gt;',
  'javascript:alert(1)',
  '\u0000\u001b[31m\u202e',
  'x'.repeat(100_000),
];

describe('escapeHtml', () => {
  test.each(HOSTILE)('leaves no markup character of %j', (text) => {
    const out = escapeHtml(text);
    expect(out).not.toMatch(/[<>"'`]/);
    // & only as the start of our own character references.
    expect(out.replace(/&#\d+;/g, '')).not.toContain('&');
  });

  test('escapes exactly the markup characters', () => {
    expect(escapeHtml(`a<b>"c"'d'&\`e\``)).toBe('a&#60;b&#62;&#34;c&#34;&#39;d&#39;&#38;&#96;e&#96;');
  });

  test('the page puts a hostile title and token in as text', () => {
    const page = indexPage({ csrfToken: '"><script>alert(1)</script>', title: '</title><script>alert(2)</script>' });
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toContain('<title>&#60;/title&#62;&#60;script&#62;alert(2)&#60;/script&#62;</title>');
  });
});
