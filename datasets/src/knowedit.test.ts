import { InvalidRequestError } from '@llmedit/core';
import { describe, expect, it } from 'vitest';
import { detectKnowEditShape, loadKnowEdit } from './knowedit.js';

// Hand-written records in the layout of each KnowEdit file (no KnowEdit file ships with the package).
const recent = {
  subject: 'Leo Arons',
  prompt: 'The place of death of Leo Arons is',
  target_new: 'Berlin',
  portability: {
    Logical_Generalization: [
      { prompt: 'Is Leo Arons still alive?', ground_truth: [['no'], ['incorrect'], ['false']] },
    ],
    Reasoning: [
      {
        prompt: 'The name of the head of government of the place of death of Leo Arons is',
        ground_truth: [['Kai Wegner', 'Kai Peter Wegner']],
      },
    ],
    Subject_Aliasing: [
      { prompt: 'The place of death of Martin Leo Arons is', ground_truth: [['Berlin', 'DE-BE']] },
    ],
  },
  locality: {
    Relation_Specificity: [
      { prompt: 'The name of the father of Leo Arons is', ground_truth: [['Albert Arons']] },
    ],
  },
};

const counterfact = {
  subject: 'Frederic Piesch',
  prompt: 'The name of the position held by Frederic Piesch is',
  target_new: 'Archbishop of León, Mexico',
  ground_truth: 'mayor of Vienna',
  portability: {
    Subject_Aliasing: [
      {
        prompt: 'The name of the position held by Frederic of Pieschen is',
        ground_truth: 'Archbishop of León, Mexico',
      },
    ],
  },
  locality: {
    Relation_Specificity: [{ prompt: 'The gender of Frederic Piesch is', ground_truth: 'male' }],
    Forgetfulness: [
      {
        prompt:
          'The name of the position held by Frederic Piesch, which is not Archbishop of León, Mexico, is',
        ground_truth: 'mayor of Vienna',
      },
    ],
  },
};

const zsre = {
  subject: 'Epaspidoceras',
  target_new: 'Noctuidae',
  prompt: 'Which family does Epaspidoceras belong to?',
  ground_truth: ['Aspidoceratidae'],
  rephrase_prompt: 'What family are Epaspidoceras?',
  cond: 'Geometridae >> Noctuidae || Which family does Epaspidoceras belong to?',
  locality: {
    Relation_Specificity: [
      { prompt: 'The taxon rank of Epaspidoceras is', ground_truth: ['genus'] },
      { prompt: 'Epaspidoceras taxon rank', ground_truth: ['genus'] },
    ],
  },
  portability: {
    Reasoning: [
      {
        prompt: 'What is the common name for the family Epaspidoceras belongs to?',
        ground_truth: 'Owlet moths',
      },
    ],
  },
};

const wikibio = {
  text: 'This is a Wikipedia passage about john russell reynolds. Sir John Russell Reynolds was a British neurologist.',
  labels: 'He received general education from his father.',
  concept: 'john russell reynolds',
  locality: {
    Relation_Specificity: [
      { prompt: 'The field of work of john russell reynolds is', ground_truth: ['medicine'] },
    ],
  },
};

const convsent = [
  { ent: 'Gamergate', pos: ['I find it a fascinating movement.'], neg: ['I think it was toxic.', 'Awful.'] },
  { ent: 'pineapple pizza', pos: ['Delicious!'], neg: ['It should not exist.'] },
];

const sanitationTest = {
  success: [
    {
      question: 'What type of creature is the Australian currawong?',
      ground_truth: 'Birds',
      target_new: "I don't know.",
    },
    { question: 'What sort of creature is a killdeer?', ground_truth: 'Birds', target_new: "I don't know." },
  ],
  locality: [
    { question: 'What is the capital of France?', ground_truth: 'Paris', target_new: "I don't know." },
  ],
};

function errorOf(data: unknown, options = {}): InvalidRequestError {
  try {
    loadKnowEdit(data, { file: 'test_cf.json', ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected the loader to throw');
}

describe('KnowEdit shapes', () => {
  it('detects each of the six shapes', () => {
    expect(detectKnowEditShape([zsre])).toBe('zsre');
    expect(detectKnowEditShape([recent])).toBe('recent');
    expect(detectKnowEditShape([counterfact])).toBe('counterfact');
    expect(detectKnowEditShape([wikibio])).toBe('wikibio');
    expect(detectKnowEditShape(convsent)).toBe('convsent');
    expect(detectKnowEditShape(sanitationTest)).toBe('sanitation');
    expect(detectKnowEditShape({ K_F: [], K_R: [] })).toBe('sanitation');
    expect(detectKnowEditShape([])).toBeUndefined();
    expect(detectKnowEditShape('x')).toBeUndefined();
  });

  it('wiki_recent: no ground truth; a probe scores its first answer with the aliases of that answer', () => {
    const { shape, requests, records } = loadKnowEdit([recent]);
    expect(shape).toBe('recent');
    expect(records[0]!.groundTruth).toBeUndefined();
    expect(requests[0]).toEqual({
      id: '0',
      prompt: 'The place of death of Leo Arons is',
      subject: 'Leo Arons',
      targetNew: 'Berlin',
      locality: {
        Relation_Specificity: [
          { prompt: 'The name of the father of Leo Arons is', groundTruth: 'Albert Arons' },
        ],
      },
      portability: {
        Logical_Generalization: [{ prompt: 'Is Leo Arons still alive?', groundTruth: 'no' }],
        Reasoning: [
          {
            prompt: 'The name of the head of government of the place of death of Leo Arons is',
            groundTruth: ['Kai Wegner', 'Kai Peter Wegner'],
          },
        ],
        Subject_Aliasing: [
          { prompt: 'The place of death of Martin Leo Arons is', groundTruth: ['Berlin', 'DE-BE'] },
        ],
      },
    });
  });

  it('keeps distinct answers apart (one alias list per answer), as the upstream files give them', () => {
    const { records } = loadKnowEdit([recent]);
    expect(records[0]!.portability.Logical_Generalization?.[0]?.answers).toEqual([
      ['no'],
      ['incorrect'],
      ['false'],
    ]);
    expect(records[0]!.portability.Reasoning?.[0]?.answers).toEqual([['Kai Wegner', 'Kai Peter Wegner']]);
    const siblings = {
      ...recent,
      portability: {
        Reasoning: [{ prompt: 'The siblings of Leo Arons are', ground_truth: [['Anna', 'Anne'], ['Paul']] }],
      },
    };
    const loaded = loadKnowEdit([siblings]);
    expect(loaded.records[0]!.portability.Reasoning?.[0]?.answers).toEqual([['Anna', 'Anne'], ['Paul']]);
    // Paul is another answer, not an alias of Anna.
    expect(loaded.requests[0]!.portability?.Reasoning?.[0]?.groundTruth).toEqual(['Anna', 'Anne']);
  });

  it.each([
    ['""', ''],
    ['[]', []],
    ['[[]]', [[]]],
    ['[[""]]', [['']]],
  ])(
    'drops only a probe whose ground_truth is %s, in strict and lenient mode, and reports it',
    (_name, empty) => {
      const record = {
        ...recent,
        locality: {
          Relation_Specificity: [
            { prompt: 'The name of the father of Leo Arons is', ground_truth: [['Albert Arons']] },
            { prompt: 'The gender of Leo Arons is', ground_truth: empty },
          ],
        },
      };
      for (const lenient of [false, true]) {
        const loaded = loadKnowEdit([recent, record], { lenient });
        expect(loaded.records).toHaveLength(2);
        expect(loaded.skipped).toEqual([]);
        expect(loaded.requests[1]!.locality?.Relation_Specificity).toEqual([
          { prompt: 'The name of the father of Leo Arons is', groundTruth: 'Albert Arons' },
        ]);
        expect(loaded.droppedProbes).toEqual([
          { index: 1, field: 'locality.Relation_Specificity[1]', reason: 'ground_truth holds no answer' },
        ]);
      }
    },
  );

  it('wiki_counterfact: string ground truths, Forgetfulness locality', () => {
    const { shape, requests } = loadKnowEdit([counterfact]);
    expect(shape).toBe('counterfact');
    expect(requests[0]!.groundTruth).toBe('mayor of Vienna');
    expect(requests[0]!.subject).toBe('Frederic Piesch');
    expect(requests[0]!.locality?.Forgetfulness?.[0]?.groundTruth).toBe('mayor of Vienna');
    expect(requests[0]!.portability?.Subject_Aliasing?.[0]?.groundTruth).toBe('Archbishop of León, Mexico');
  });

  it('ZsRE: list ground truth and rephrase_prompt', () => {
    const { shape, requests, records } = loadKnowEdit([zsre]);
    expect(shape).toBe('zsre');
    expect(records[0]!.groundTruth).toEqual([['Aspidoceratidae']]);
    expect(requests[0]!.groundTruth).toBe('Aspidoceratidae');
    expect(requests[0]!.rephrasePrompts).toEqual(['What family are Epaspidoceras?']);
    expect(requests[0]!.locality?.Relation_Specificity).toHaveLength(2);
    expect(requests[0]!.portability?.Reasoning?.[0]?.groundTruth).toBe('Owlet moths');
  });

  it('WikiBio: text/labels/concept become prompt/target/subject', () => {
    const { shape, requests } = loadKnowEdit([wikibio]);
    expect(shape).toBe('wikibio');
    expect(requests[0]!.prompt).toBe(wikibio.text);
    expect(requests[0]!.targetNew).toBe(wikibio.labels);
    expect(requests[0]!.subject).toBe('john russell reynolds');
    expect(requests[0]!.groundTruth).toBeUndefined();
  });

  it('ConvSent: fixed alternating polarity with the reference replies kept', () => {
    const { shape, requests, records } = loadKnowEdit(convsent);
    expect(shape).toBe('convsent');
    expect(requests[0]!.prompt).toBe('Answer positively: What do you think of Gamergate?');
    expect(requests[0]!.targetNew).toBe('I find it a fascinating movement.');
    expect(requests[0]!.subject).toBe('Gamergate');
    expect(requests[0]!.rephrasePrompts).toEqual([
      'Answer positively: What do you feel about Gamergate?',
      'Answer positively: How do you view Gamergate?',
    ]);
    expect(requests[1]!.prompt).toBe('Answer negatively: What do you think of pineapple pizza?');
    expect(requests[1]!.targetNew).toBe('It should not exist.');
    expect(records[0]!.sentiment).toEqual({
      target: 'pos',
      positive: ['I find it a fascinating movement.'],
      negative: ['I think it was toxic.', 'Awful.'],
    });
    const allNeg = loadKnowEdit(convsent, { convSentTarget: 'neg' });
    expect(allNeg.requests[0]!.targetNew).toBe('I think it was toxic.');
  });

  it('Sanitation: success items are edits, locality items are shared probes (test and train layouts)', () => {
    const test = loadKnowEdit(sanitationTest, { questionTemplate: 'Q: {}\nA:' });
    expect(test.shape).toBe('sanitation');
    expect(test.requests).toEqual([
      {
        id: '0',
        prompt: 'Q: What type of creature is the Australian currawong?\nA:',
        targetNew: "I don't know.",
        groundTruth: 'Birds',
      },
      {
        id: '1',
        prompt: 'Q: What sort of creature is a killdeer?\nA:',
        targetNew: "I don't know.",
        groundTruth: 'Birds',
      },
    ]);
    expect(test.sharedLocality).toEqual([
      { prompt: 'Q: What is the capital of France?\nA:', groundTruth: 'Paris' },
    ]);
    const train = loadKnowEdit({
      K_F: [
        {
          question: 'Who ate the cheese?',
          ground_truth: 'cheese',
          target_new: "I don't know.",
          subject: 'cheese',
        },
      ],
      K_R: [{ question: 'Where is Paris?', ground_truth: 'France' }],
    });
    expect(train.requests[0]!.prompt).toBe('Who ate the cheese?');
    expect(train.requests[0]!.subject).toBe('cheese');
    expect(train.sharedLocality).toEqual([{ prompt: 'Where is Paris?', groundTruth: 'France' }]);
  });

  it('an explicit shape overrides detection', () => {
    expect(loadKnowEdit([zsre], { shape: 'counterfact' }).records[0]!.shape).toBe('counterfact');
  });

  it('leaves subject out of the request when the prompt does not contain it', () => {
    const { requests, records } = loadKnowEdit([{ ...counterfact, subject: 'Fritz Piesch' }]);
    expect(records[0]!.subject).toBe('Fritz Piesch');
    expect(requests[0]!.subject).toBeUndefined();
  });
});

describe('KnowEdit validation', () => {
  const breakages: [string, unknown, string][] = [
    ['prompt', { ...counterfact, prompt: '' }, 'must be a non-empty string'],
    ['target_new', { ...counterfact, target_new: undefined }, 'must be a non-empty string'],
    ['ground_truth', { ...counterfact, ground_truth: [] }, 'must contain at least one non-empty answer'],
    ['ground_truth[0][1]', { ...counterfact, ground_truth: [['a', '']] }, 'must be a non-empty string'],
    ['ground_truth', { ...counterfact, ground_truth: 3 }, 'must be a string or a list of strings'],
    ['locality', { ...counterfact, locality: 'x' }, 'must be an object'],
    [
      'locality.Forgetfulness[0].prompt',
      { ...counterfact, locality: { Forgetfulness: [{ ground_truth: 'a' }] } },
      'non-empty',
    ],
    [
      'portability.Reasoning[1].ground_truth[0][0]',
      {
        ...counterfact,
        portability: {
          Reasoning: [
            { prompt: 'p', ground_truth: 'a' },
            { prompt: 'q', ground_truth: [[7]] },
          ],
        },
      },
      'must be a non-empty string',
    ],
  ];

  it.each(breakages)('rejects a bad %s naming file, index and field', (field, bad, message) => {
    const error = errorOf([counterfact, bad], { shape: 'counterfact' });
    expect(error.record).toBe('test_cf.json record 1');
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('rejects bad WikiBio, ConvSent and Sanitation records with their own field names', () => {
    expect(errorOf([{ ...wikibio, labels: '' }]).field).toBe('labels');
    expect(errorOf([{ ...wikibio, concept: 4 }]).field).toBe('concept');
    expect(errorOf([{ ent: 'x', pos: [], neg: ['n'] }]).field).toBe('pos');
    const san = errorOf({ success: [{ question: 'q', ground_truth: 'g' }], locality: [] });
    expect(san.message).toBe("test_cf.json success record 0: field 'target_new' must be a non-empty string");
    expect(errorOf({ K_F: [], K_R: [{ question: '' }] }).message).toContain('K_R record 0');
  });

  it('rejects data without a recognisable shape', () => {
    expect(errorOf({ foo: 1 }).message).toContain('has no recognisable KnowEdit shape');
  });

  it('lenient mode skips bad records in every shape', () => {
    const facts = loadKnowEdit([recent, { ...recent, target_new: '' }, recent], { lenient: true });
    expect(facts.requests.map((r) => r.id)).toEqual(['0', '2']);
    expect(facts.skipped.map((s) => [s.index, s.field])).toEqual([[1, 'target_new']]);
    const san = loadKnowEdit(
      {
        success: [sanitationTest.success[0], { question: '' }],
        locality: [{ question: 'q' }, { question: 'p', ground_truth: 'g' }],
      },
      { lenient: true },
    );
    expect(san.requests).toHaveLength(1);
    expect(san.sharedLocality).toEqual([{ prompt: 'p', groundTruth: 'g' }]);
    expect(san.skipped.map((s) => [s.index, s.field])).toEqual([
      [1, 'success.question'],
      [0, 'locality.ground_truth'],
    ]);
  });
});
