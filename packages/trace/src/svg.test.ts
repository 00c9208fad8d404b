import { describe, expect, it } from 'vitest';
import type { AverageTrace } from './average.js';
import { TOKEN_GROUPS } from './average.js';
import {
  escapeXml,
  formatTick,
  paletteColour,
  renderAverageTraceSvg,
  renderHeatmapSvg,
  renderTraceSvg,
  tokenLabel,
} from './svg.js';
import type { CausalTrace } from './trace.js';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML parser for the tests: every tag closed in order, attributes quoted and unique, only
 * the five predefined entities, no stray '<' or '&'. Throws on anything malformed.
 */
function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const entity = /&(?:amp|lt|gt|quot|apos);/g;
  const checkText = (text: string) => {
    if (/[<>]/.test(text) || /&/.test(text.replace(entity, ''))) throw new Error(`bad text: ${text}`);
  };
  const decode = (text: string) =>
    text
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  let i = 0;
  while (i < xml.length) {
    const open = xml.indexOf('<', i);
    const text = xml.slice(i, open < 0 ? xml.length : open);
    checkText(text);
    stack[stack.length - 1]!.text += decode(text);
    if (open < 0) break;
    const close = xml.indexOf('>', open);
    if (close < 0) throw new Error('unterminated tag');
    const tag = xml.slice(open + 1, close);
    i = close + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const top = stack.pop();
      if (top === undefined || top.name !== name) throw new Error(`</${name}> closes <${top?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const match = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*$/.exec(body);
    if (match === null) throw new Error(`malformed tag <${tag}>`);
    const attributes: Record<string, string> = {};
    for (const [, key, value] of match[2]!.matchAll(/\s+([\w:-]+)="([^"<]*)"/g)) {
      if (key! in attributes) throw new Error(`duplicate attribute ${key}`);
      checkText(value!);
      attributes[key!] = decode(value!);
    }
    const element: XmlElement = { name: match[1]!, attributes, children: [], text: '' };
    stack[stack.length - 1]!.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('expected one root element');
  return root.children[0]!;
}

function all(element: XmlElement, name: string): XmlElement[] {
  return [
    ...(element.name === name ? [element] : []),
    ...element.children.flatMap((child) => all(child, name)),
  ];
}

const trace: CausalTrace = {
  prompt: 'The <Eiffel> & "Tower" is in',
  subject: '<Eiffel> & "Tower"',
  kind: 'mlp',
  window: 2,
  noise: 0.3,
  samples: 3,
  seed: 1,
  tokenIds: [1, 2, 3, 4, 5, 6],
  tokens: ['The', ' <Eiffel>', ' &', ' "Tower"', ' is', ' in'],
  subjectStart: 1,
  subjectEnd: 4,
  answerId: 9,
  answer: ' Paris',
  cleanProbability: 0.8,
  corruptedProbability: 0.1,
  scores: Array.from({ length: 6 }, (_, t) => [0.1, 0.2 + t / 20, 0.3, 0.1 * t]),
};

describe('renderTraceSvg', () => {
  it('is well-formed XML that names every token, marks the subject and labels the layers', () => {
    const svg = renderTraceSvg(trace);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    // The figure's accessible name comes first: title and subtitle, escaped.
    expect(root.children[0]!.name).toBe('title');
    expect(root.children[0]!.text).toMatch(
      /^Impact of restoring MLP after corrupted input: The <Eiffel> & "Tower" is in/,
    );
    const texts = all(root, 'text').map((t) => t.text);
    for (const label of ['The', '<Eiffel>*', '&*', '"Tower"*', 'is', 'in']) expect(texts).toContain(label);
    const bold = all(root, 'text')
      .filter((t) => t.attributes['font-weight'] === 'bold')
      .map((t) => t.text);
    expect(bold).toEqual(expect.arrayContaining(['<Eiffel>*', '&*', '"Tower"*']));
    expect(bold).not.toContain('The');
    for (const layer of ['0', '1', '2', '3']) expect(texts).toContain(layer);
    expect(texts).toContain('p(Paris)');
    expect(texts).toContain('center of interval of 2 restored MLP layers');
    expect(texts.some((t) => t.startsWith('Impact of restoring MLP'))).toBe(true);
  });

  it('draws one cell per (token, layer), darker for larger recovered probability, with a colour bar', () => {
    const root = parseXml(renderTraceSvg(trace));
    const cells = all(root, 'rect').filter((r) => r.children.some((c) => c.name === 'title'));
    expect(cells).toHaveLength(6 * 4);
    const fillOf = (t: number, l: number) => cells[t * 4 + l]!.attributes.fill!;
    // Scale from the corrupted probability (lightest) to the clean one (darkest).
    expect(fillOf(0, 0)).toBe(paletteColour('green', 0));
    const brightness = (hex: string) =>
      [1, 3, 5].reduce((sum, k) => sum + Number.parseInt(hex.slice(k, k + 2), 16), 0);
    expect(brightness(fillOf(5, 3))).toBeLessThan(brightness(fillOf(1, 3)));
    expect(all(root, 'linearGradient')).toHaveLength(1);
    const ticks = all(root, 'text').map((t) => t.text);
    expect(ticks).toEqual(expect.arrayContaining(['0.8', '0.45', '0.1']));
  });

  it('renders an averaged trace with the token groups as rows and NaN groups grey', () => {
    const rows = TOKEN_GROUPS.map((_, g) => [0.01 * g, 0.02, 0.3, 0]);
    const average: AverageTrace = {
      kind: 'residual',
      window: 1,
      noise: 0.4,
      samples: 10,
      seed: 1,
      count: 12,
      groups: TOKEN_GROUPS,
      groupCounts: [12, 0, 12, 12, 9, 12],
      meanScores: rows,
      indirectEffect: rows,
      meanClean: 0.5,
      meanCorrupted: 0.1,
      totalEffect: 0.4,
      peak: { group: 'Last subject token', layer: 2, indirectEffect: 0.3 },
    };
    const root = parseXml(renderAverageTraceSvg(average));
    const texts = all(root, 'text').map((t) => t.text);
    expect(texts).toContain('Last subject token*');
    expect(texts).toContain('Last token');
    expect(texts).toContain('Average indirect effect of state over 12 prompts');
    const cells = all(root, 'rect').filter((r) => r.children.some((c) => c.name === 'title'));
    expect(cells).toHaveLength(6 * 4);
    expect(cells[4]!.attributes.fill).toBe('#dddddd');
    expect(cells[0]!.attributes.fill).not.toBe('#dddddd');
  });
});

describe('renderHeatmapSvg helpers', () => {
  it('escapes markup and drops characters XML forbids', () => {
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const svg = renderHeatmapSvg({
      title: 'x\u0000<y>',
      rowLabels: ['\u0007'],
      columnLabels: ['0'],
      values: [[1]],
      xLabel: 'layer',
      legendLabel: 'p',
    });
    expect(() => parseXml(svg)).not.toThrow();
  });

  it('interpolates the palettes and formats ticks', () => {
    expect(paletteColour('purple', 0)).toBe('#fcfbfd');
    expect(paletteColour('purple', 1)).toBe('#3f007d');
    expect(paletteColour('red', 0.5)).toBe('#fb6a4a');
    expect(paletteColour('green', Number.NaN)).toBe('#f7fcf5');
    expect(formatTick(0.123456)).toBe('0.123');
    expect(formatTick(0)).toBe('0');
    expect(formatTick(-2.8e-7)).toBe('-2.80e-7');
    expect(tokenLabel(' Paris')).toBe('Paris');
    expect(tokenLabel('\n')).toBe('\\n');
    expect(tokenLabel(' ')).toBe('" "');
  });
});
