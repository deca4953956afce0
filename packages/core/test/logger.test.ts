import { consoleLogger, currentLogTag, scopedLogger, setLogTagSource, taggedLogger, type Logger } from '../src/logger';

function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (message: string, ...args: unknown[]) => void lines.push([message, ...args].join(' '));
  return { lines, debug: push, info: push, warn: push, error: push };
}

describe('log tag source', () => {
  let words: string | undefined;
  beforeEach(() => {
    words = undefined;
    setLogTagSource(() => words);
  });
  afterEach(() => setLogTagSource(undefined));

  it('adds its words inside the scope brackets while it gives some, and nothing otherwise', () => {
    const base = recording();
    const log = scopedLogger(base, 'nightly/download');
    log.info('quiet');
    words = 'trace_id=abc span_id=def';
    log.warn('traced %s', 1);
    expect(base.lines).toEqual(['[nightly/download] quiet', '[nightly/download trace_id=abc span_id=def] traced %s 1']);
  });

  it('tags a line once through nested Cascadence loggers; a step tag wins over the source', () => {
    words = 'trace_id=src span_id=1';
    const base = recording();
    scopedLogger(scopedLogger(base, 'app'), 'inner').info('a');
    taggedLogger(scopedLogger(base, 'app'), 'flow/step', () => 'trace_id=step span_id=2').info('b');
    taggedLogger(base, 'flow/step', () => undefined).info('c');
    expect(base.lines).toEqual([
      '[app] [inner trace_id=src span_id=1] a',
      '[app] [flow/step trace_id=step span_id=2] b',
      '[flow/step trace_id=src span_id=1] c',
    ]);
  });

  it('consoleLogger prefixes the words, with or without a scope', () => {
    words = 'trace_id=t span_id=s';
    const info = jest.spyOn(console, 'info').mockImplementation(() => {});
    try {
      consoleLogger('svc').info('one');
      consoleLogger().info('two', 2);
      words = undefined;
      consoleLogger().info('three');
      expect(info.mock.calls).toEqual([['[svc trace_id=t span_id=s]', 'one'], ['[trace_id=t span_id=s]', 'two', 2], ['three']]);
    } finally {
      info.mockRestore();
    }
  });

  it('a source that throws tags nothing; setting returns the previous source; none by default', () => {
    const previous = setLogTagSource(() => {
      throw new Error('broken');
    });
    expect(typeof previous).toBe('function');
    expect(currentLogTag()).toBeUndefined();
    const base = recording();
    scopedLogger(base, 's').info('x');
    expect(base.lines).toEqual(['[s] x']);
    setLogTagSource(undefined);
    expect(currentLogTag()).toBeUndefined();
  });
});
