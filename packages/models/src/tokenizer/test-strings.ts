/** Deterministic, varied test strings for tokenizer exactness tests (not shipped: imported by tests only). */

const FRAGMENTS = [
  // words, contractions, cases
  'hello', 'Hello', 'HELLO', 'world', "it's", "IT'S", "we're", "they've", "I'm", "you'll", "he'd", "don't",
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "rock'n'roll", "''", "'", 'tokenization',
  'antidisestablishmentarianism', 'GPT', 'LLaMA', 'camelCaseWord', 'snake_case_word', 'kebab-case-word',
  // accented and other scripts
  'café', 'naïve', 'résumé', 'Ångström', 'straße', 'Øresund', 'São Paulo', 'Kraków', 'İstanbul', 'ﬁnance',
  'e\u0301', 'a\u0308\u0304', 'Привет', 'мир', 'Ελληνικά', 'עברית', 'العربية', 'हिन्दी', 'ภาษาไทย', '한국어',
  '日本語', 'のテキスト', '中文字符', '漢字', 'カタカナ', 'ｆｕｌｌｗｉｄｔｈ', 'ǅ', 'ꙮ', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '𠜎𠜱',
  // emoji incl. ZWJ sequences, modifiers, flags, keycaps
  '😀', '🤖', '👍🏽', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '🇯🇵🇺🇸', '1️⃣', '❤️', '✨✨✨', '🧑🏿‍🚀', '☕',
  // numbers
  '0', '7', '42', '2024', '3.14159', '1,000,000', '-17', '+1', '1e-9', '0x1F', '½', '²', '٣٤٥', '१२३', 'Ⅻ',
  '１２３', '12th', '3rd', '100%', '$5.99', '€20', '£', '¥1000',
  // punctuation and symbols
  '.', ',', '!', '?', '...', '!!!', '?!', '—', '–', '-', '--', '(', ')', '[x]', '{y}', '<tag>', '</tag>',
  '"quoted"', '“curly”', '‘single’', '«guillemets»', '@user', '#hashtag', 'a/b', 'c:\\path', '~', '^', '&&',
  '||', '==', '=>', '->', '::', ';', '`code`', '```', '***', '___', '§', '¶', '©', '®', '™', '°', '±', '×',
  '÷', '∑', '∞', '≈', '≠', '√', '∫', '→', '⇒', '♠', '♥', '★', '☆', '•', '·', '…', '\u00ad', '\u200b',
  '\u200d', '\ufeff', '\u0000', '\u0007', '\u001b[0m', '\u007f', '\u0085', '\u2028',
  // whitespace runs
  ' ', '  ', '   ', '    ', '\t', '\t\t', '\n', '\n\n', '\n\n\n', '\r\n', '\r', ' \n ', '\n ', ' \t\n',
  '\u00a0', '\u3000', '\u2003', '\u00a0 ', ' \u00a0',
];

/** Park-Miller LCG: enough for picking fragments reproducibly. */
function lcg(seed: number): () => number {
  let s = seed % 2147483647;
  if (s <= 0) s += 2147483646;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s - 1) / 2147483646;
  };
}

const SEPARATORS = ['', ' ', ' ', ' ', '  ', '\n', '\t', ', ', '. ', '\n\n', ' \n'];

/** `count` generated strings of 1 to 12 fragments with varied separators, plus fixed edge cases. */
export function generatedStrings(count: number, seed = 12345): string[] {
  const rand = lcg(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out = [
    '',
    ' ',
    'a',
    ' leading space',
    'trailing space ',
    '  two leading',
    'two trailing  ',
    'Hello, world!',
    "I'd've thought they'd've",
    '   \n\n   \t\t  end',
    'x'.repeat(300),
    'ab'.repeat(200),
    '1234567890'.repeat(20),
    ' '.repeat(50),
    '\n'.repeat(30),
    '🤖'.repeat(40),
    '日本語'.repeat(50),
    'The quick brown fox jumps over the lazy dog.',
    'Supercalifragilisticexpialidocious!',
  ];
  while (out.length < count) {
    const n = 1 + Math.floor(rand() * 12);
    let s = '';
    for (let i = 0; i < n; i++) s += (i === 0 ? '' : pick(SEPARATORS)) + pick(FRAGMENTS);
    if (rand() < 0.15) s = ` ${s}`;
    if (rand() < 0.15) s = `${s}${pick(SEPARATORS)}`;
    out.push(s);
  }
  return out;
}
