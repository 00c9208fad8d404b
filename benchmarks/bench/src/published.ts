// Published result tables, copied from /work/shared/reference/tables.md (see that file for provenance):
// Yao et al. 2023 Table 1 (arXiv 2305.13172), Meng et al. 2022 ROME Tables 4 and 1 (arXiv 2202.05262), the
// wall-clock times of Yao et al. as quoted by Larimar (arXiv 2403.11901, Table 7) and EasyEdit's README
// GPU-memory table, and WISE Table 2 (sequential ZsRE editing, arXiv 2405.14768). Cells that could not be
// verified are left out; '-' (the method fails on that model) is null.

/** One published column: method name as the paper prints it -> value (null: the paper reports a failure). */
export type PublishedColumn = Readonly<Record<string, number | null>>;

export interface PublishedSource {
  /** Short label used as a column header. */
  label: string;
  /** Citation with table and provenance tag. */
  citation: string;
}

const yao: PublishedSource = {
  label: 'Yao et al.',
  citation:
    'Yao et al. 2023, Editing Large Language Models: Problems, Methods, and Opportunities, Table 1 ' +
    '(arXiv 2305.13172; AUTHOR-MIRROR: EasyEdit README at 166f750)',
};

/** Yao et al. Table 1, in percent: dataset -> model -> metric -> method -> value. */
export const SURVEY_TABLE_1 = {
  source: yao,
  models: ['GPT-J', 'T5-XL'] as const,
  values: {
    zsre: {
      'T5-XL': {
        reliability: {
          'FT-L': 20.71,
          SERAC: 99.8,
          IKE: 67.0,
          KE: 3.0,
          MEND: 78.8,
          KN: 22.51,
          ROME: null,
          MEMIT: null,
        },
        generalization: {
          'FT-L': 19.68,
          SERAC: 99.66,
          IKE: 67.11,
          KE: 5.4,
          MEND: 89.8,
          KN: 22.7,
          ROME: null,
          MEMIT: null,
        },
        locality: {
          'FT-L': 89.01,
          SERAC: 98.13,
          IKE: 63.6,
          KE: 96.43,
          MEND: 98.45,
          KN: 16.43,
          ROME: null,
          MEMIT: null,
        },
      },
      'GPT-J': {
        reliability: {
          'FT-L': 54.7,
          SERAC: 90.16,
          IKE: 99.96,
          KE: 6.6,
          MEND: 45.6,
          KN: 11.34,
          ROME: 99.18,
          MEMIT: 99.23,
        },
        generalization: {
          'FT-L': 49.2,
          SERAC: 89.96,
          IKE: 99.87,
          KE: 7.8,
          MEND: 48.0,
          KN: 9.4,
          ROME: 94.9,
          MEMIT: 87.16,
        },
        locality: {
          'FT-L': 37.24,
          SERAC: 99.9,
          IKE: 59.21,
          KE: 94.18,
          MEND: 88.21,
          KN: 90.03,
          ROME: 99.19,
          MEMIT: 99.62,
        },
      },
    },
    counterfact: {
      'T5-XL': {
        reliability: {
          'FT-L': 33.57,
          SERAC: 99.89,
          IKE: 97.77,
          KE: 1.0,
          MEND: 81.4,
          KN: 47.86,
          ROME: null,
          MEMIT: null,
        },
        generalization: {
          'FT-L': 23.54,
          SERAC: 98.71,
          IKE: 82.99,
          KE: 1.4,
          MEND: 93.4,
          KN: 46.78,
          ROME: null,
          MEMIT: null,
        },
        locality: {
          'FT-L': 72.72,
          SERAC: 99.93,
          IKE: 37.76,
          KE: 96.28,
          MEND: 91.58,
          KN: 57.1,
          ROME: null,
          MEMIT: null,
        },
      },
      'GPT-J': {
        reliability: {
          'FT-L': 99.9,
          SERAC: 99.78,
          IKE: 99.61,
          KE: 13.4,
          MEND: 73.8,
          KN: 1.66,
          ROME: 99.8,
          MEMIT: 99.9,
        },
        generalization: {
          'FT-L': 97.53,
          SERAC: 99.41,
          IKE: 72.67,
          KE: 11.0,
          MEND: 74.2,
          KN: 1.38,
          ROME: 86.63,
          MEMIT: 73.13,
        },
        locality: {
          'FT-L': 1.02,
          SERAC: 98.89,
          IKE: 35.57,
          KE: 94.38,
          MEND: 93.75,
          KN: 58.28,
          ROME: 93.61,
          MEMIT: 97.17,
        },
      },
    },
  },
} as const satisfies {
  source: PublishedSource;
  models: readonly string[];
  values: Record<string, Record<string, Record<string, PublishedColumn>>>;
};

export type SurveyModel = (typeof SURVEY_TABLE_1.models)[number];

const rome: PublishedSource = {
  label: 'ROME',
  citation:
    'Meng et al. 2022, Locating and Editing Factual Associations in GPT, Table 4 (arXiv 2202.05262; PRIMARY)',
};

/** The unedited model's row of a published table. */
export const UNEDITED = '(unedited)';

/** ROME Table 4 (CounterFact): model -> metric -> editor -> value, percent (GE as printed, entropy x 100). */
export const ROME_TABLE_4 = {
  source: rome,
  models: ['GPT-2 XL', 'GPT-J'] as const,
  values: {
    'GPT-2 XL': {
      S: {
        [UNEDITED]: 30.5,
        FT: 65.1,
        'FT+L': 66.9,
        KN: 35.6,
        KE: 52.2,
        'KE-CF': 18.1,
        MEND: 57.9,
        'MEND-CF': 14.9,
        ROME: 89.2,
      },
      ES: {
        [UNEDITED]: 22.2,
        FT: 100.0,
        'FT+L': 99.1,
        KN: 28.7,
        KE: 84.3,
        'KE-CF': 99.9,
        MEND: 99.1,
        'MEND-CF': 100.0,
        ROME: 100.0,
      },
      EM: {
        [UNEDITED]: -4.8,
        FT: 98.8,
        'FT+L': 91.5,
        KN: -3.4,
        KE: 33.9,
        'KE-CF': 97.0,
        MEND: 70.9,
        'MEND-CF': 99.2,
        ROME: 97.9,
      },
      PS: {
        [UNEDITED]: 24.7,
        FT: 87.9,
        'FT+L': 48.7,
        KN: 28.0,
        KE: 75.4,
        'KE-CF': 95.8,
        MEND: 65.4,
        'MEND-CF': 97.0,
        ROME: 96.4,
      },
      PM: {
        [UNEDITED]: -5.0,
        FT: 46.6,
        'FT+L': 28.9,
        KN: -3.3,
        KE: 14.6,
        'KE-CF': 59.2,
        MEND: 12.2,
        'MEND-CF': 65.6,
        ROME: 62.7,
      },
      NS: {
        [UNEDITED]: 78.1,
        FT: 40.4,
        'FT+L': 70.3,
        KN: 72.9,
        KE: 30.9,
        'KE-CF': 6.9,
        MEND: 37.9,
        'MEND-CF': 5.5,
        ROME: 75.4,
      },
      NM: {
        [UNEDITED]: 5.0,
        FT: -6.2,
        'FT+L': 3.5,
        KN: 3.7,
        KE: -11.0,
        'KE-CF': -63.2,
        MEND: -11.6,
        'MEND-CF': -69.9,
        ROME: 4.2,
      },
      GE: {
        [UNEDITED]: 626.6,
        FT: 607.1,
        'FT+L': 621.4,
        KN: 570.4,
        KE: 586.6,
        'KE-CF': 383.0,
        MEND: 624.2,
        'MEND-CF': 570.0,
        ROME: 621.9,
      },
    },
    'GPT-J': {
      S: { [UNEDITED]: 23.6, FT: 25.5, 'FT+L': 68.7, MEND: 63.2, ROME: 91.5 },
      ES: { [UNEDITED]: 16.3, FT: 100.0, 'FT+L': 99.6, MEND: 97.4, ROME: 99.9 },
      EM: { [UNEDITED]: -7.2, FT: 99.9, 'FT+L': 95.0, MEND: 71.5, ROME: 99.4 },
      PS: { [UNEDITED]: 18.6, FT: 96.6, 'FT+L': 47.9, MEND: 53.6, ROME: 99.1 },
      PM: { [UNEDITED]: -7.4, FT: 71.0, 'FT+L': 30.4, MEND: 11.0, ROME: 74.1 },
      NS: { [UNEDITED]: 83.0, FT: 10.3, 'FT+L': 78.6, MEND: 53.9, ROME: 78.9 },
      NM: { [UNEDITED]: 7.3, FT: -50.7, 'FT+L': 6.8, MEND: -6.0, ROME: 5.2 },
      GE: { [UNEDITED]: 621.8, FT: 387.8, 'FT+L': 622.8, MEND: 620.5, ROME: 620.1 },
    },
  },
} as const satisfies {
  source: PublishedSource;
  models: readonly string[];
  values: Record<string, Record<string, PublishedColumn>>;
};

export type RomeModel = (typeof ROME_TABLE_4.models)[number];

/**
 * ROME Table 1 (zsRE, GPT-2 XL, 10,000 records of zsre_mend_eval.json): editor -> metric -> value, percent
 * (the paper's 95% intervals are at most ±0.7 and are left out). Measured with ROME's own zsRE protocol
 * (experiments/py/eval_utils_zsre.py): each record edited to its true answer answers[0]; Efficacy /
 * Paraphrase: token accuracy of that answer after the question / its rephrase; Specificity: token accuracy
 * of the NQ question's ground-truth answer after the edit. KE-zsRE and MEND-zsRE are KE and MEND trained
 * on zsRE edits; the unedited row is GPT-2 XL itself.
 */
export const ROME_TABLE_1 = {
  source: {
    label: 'ROME',
    citation:
      'Meng et al. 2022, Locating and Editing Factual Associations in GPT, Table 1 (zsRE, GPT-2 XL; ' +
      'arXiv 2202.05262; PRIMARY, cross-checked with Larimar arXiv 2403.11901 Table 12)',
  },
  models: ['GPT-2 XL'] as const,
  values: {
    'GPT-2 XL': {
      efficacy: {
        [UNEDITED]: 22.2,
        FT: 99.6,
        'FT+L': 92.3,
        KE: 65.5,
        'KE-zsRE': 92.4,
        MEND: 75.9,
        'MEND-zsRE': 99.4,
        ROME: 99.8,
      },
      paraphrase: {
        [UNEDITED]: 21.3,
        FT: 82.1,
        'FT+L': 47.2,
        KE: 61.4,
        'KE-zsRE': 90.0,
        MEND: 65.3,
        'MEND-zsRE': 99.3,
        ROME: 88.1,
      },
      specificity: {
        [UNEDITED]: 24.2,
        FT: 23.2,
        'FT+L': 23.4,
        KE: 24.9,
        'KE-zsRE': 23.8,
        MEND: 24.1,
        'MEND-zsRE': 24.1,
        ROME: 24.2,
      },
    },
  },
} as const satisfies {
  source: PublishedSource;
  models: readonly string[];
  values: Record<string, Record<string, PublishedColumn>>;
};

/**
 * Seconds per edit: Yao et al.'s wall-clock time for 10 CounterFact edits divided by 10 (SECONDARY: quoted
 * in Larimar, arXiv 2403.11901, Appendix A, Table 7; GPU and whether training time is included unknown).
 */
export const YAO_EDIT_TIME = {
  source: {
    label: 'Yao et al. s/edit',
    citation:
      'Yao et al. 2023 wall-clock time of 10 CounterFact edits on GPT-J, divided by 10 (SECONDARY: quoted ' +
      'in Larimar, arXiv 2403.11901, Table 7)',
  },
  values: {
    FT: 3.594,
    SERAC: 0.531,
    CaliNet: 0.188,
    'T-Patcher': 186.474,
    KE: 0.22,
    MEND: 0.051,
    KN: 22.543,
    ROME: 14.72,
    MEMIT: 14.32,
  },
} as const satisfies { source: PublishedSource; values: PublishedColumn };

/** EasyEdit's editing GPU memory on GPT-2 XL, in GB (AUTHOR-MIRROR: EasyEdit README at HEAD 14cea82). */
export const EASYEDIT_GPU_MEMORY = {
  source: {
    label: 'EasyEdit GB (GPT-2 XL)',
    citation:
      "EasyEdit README, 'Editing GPU memory usage', gpt-xl column (AUTHOR-MIRROR, zjunlp/EasyEdit 14cea82)",
  },
  values: {
    FT: 7,
    SERAC: 10,
    IKE: 10,
    MEND: 13,
    KN: 12,
    ROME: 10,
    MEMIT: 11,
    AdaLoRA: 8,
    GRACE: 6,
    WISE: 7,
  },
} as const satisfies { source: PublishedSource; values: PublishedColumn };

const wise: PublishedSource = {
  label: 'WISE',
  citation:
    'Wang et al. 2024, WISE: Rethinking the Knowledge Memory for Lifelong Model Editing of Large Language ' +
    'Models, Table 2 (ZsRE, T sequential edits; NeurIPS 2024, arXiv 2405.14768; PRIMARY: paper conversion)',
};

/**
 * WISE Table 2 (sequential ZsRE editing), as percent (the paper prints fractions with two digits): model ->
 * T -> metric -> method. Rel. / Gen. / Loc. are evaluated on the final model after T edits (WISE Eq. 9).
 */
export const WISE_TABLE_2 = {
  source: wise,
  models: ['LLaMA-2-7B', 'Mistral-7B'] as const,
  values: {
    'LLaMA-2-7B': {
      1: {
        reliability: {
          'FT-L': 57,
          'FT-EWC': 96,
          MEND: 95,
          ROME: 85,
          MEMIT: 84,
          'MEMIT-MASS': 84,
          DEFER: 68,
          GRACE: 99,
          WISE: 98,
        },
        generalization: {
          'FT-L': 52,
          'FT-EWC': 95,
          MEND: 93,
          ROME: 80,
          MEMIT: 81,
          'MEMIT-MASS': 81,
          DEFER: 58,
          GRACE: 36,
          WISE: 92,
        },
        locality: {
          'FT-L': 96,
          'FT-EWC': 2,
          MEND: 98,
          ROME: 99,
          MEMIT: 99,
          'MEMIT-MASS': 99,
          DEFER: 56,
          GRACE: 100,
          WISE: 100,
        },
      },
      10: {
        reliability: {
          'FT-L': 48,
          'FT-EWC': 82,
          MEND: 26,
          ROME: 64,
          MEMIT: 58,
          'MEMIT-MASS': 75,
          DEFER: 65,
          GRACE: 96,
          WISE: 94,
        },
        generalization: {
          'FT-L': 48,
          'FT-EWC': 76,
          MEND: 28,
          ROME: 62,
          MEMIT: 58,
          'MEMIT-MASS': 72,
          DEFER: 47,
          GRACE: 16,
          WISE: 88,
        },
        locality: {
          'FT-L': 76,
          'FT-EWC': 1,
          MEND: 28,
          ROME: 75,
          MEMIT: 85,
          'MEMIT-MASS': 97,
          DEFER: 36,
          GRACE: 100,
          WISE: 100,
        },
      },
      100: {
        reliability: {
          'FT-L': 30,
          'FT-EWC': 83,
          MEND: 0,
          ROME: 23,
          MEMIT: 2,
          'MEMIT-MASS': 76,
          DEFER: 20,
          GRACE: 96,
          WISE: 90,
        },
        generalization: {
          'FT-L': 27,
          'FT-EWC': 74,
          MEND: 0,
          ROME: 22,
          MEMIT: 2,
          'MEMIT-MASS': 68,
          DEFER: 12,
          GRACE: 15,
          WISE: 81,
        },
        locality: {
          'FT-L': 23,
          'FT-EWC': 8,
          MEND: 0,
          ROME: 4,
          MEMIT: 2,
          'MEMIT-MASS': 85,
          DEFER: 27,
          GRACE: 100,
          WISE: 100,
        },
      },
      1000: {
        reliability: {
          'FT-L': 19,
          'FT-EWC': 76,
          MEND: 0,
          ROME: 1,
          MEMIT: 4,
          'MEMIT-MASS': 69,
          DEFER: 3,
          GRACE: 93,
          WISE: 77,
        },
        generalization: {
          'FT-L': 16,
          'FT-EWC': 69,
          MEND: 0,
          ROME: 1,
          MEMIT: 4,
          'MEMIT-MASS': 65,
          DEFER: 3,
          GRACE: 8,
          WISE: 72,
        },
        locality: {
          'FT-L': 3,
          'FT-EWC': 8,
          MEND: 0,
          ROME: 0,
          MEMIT: 2,
          'MEMIT-MASS': 62,
          DEFER: 74,
          GRACE: 100,
          WISE: 100,
        },
      },
    },
    'Mistral-7B': {
      1: {
        reliability: {
          'FT-L': 58,
          'FT-EWC': 100,
          MEND: 94,
          ROME: 79,
          MEMIT: 81,
          'MEMIT-MASS': 81,
          DEFER: 64,
          GRACE: 100,
          WISE: 98,
        },
        generalization: {
          'FT-L': 54,
          'FT-EWC': 99,
          MEND: 93,
          ROME: 77,
          MEMIT: 79,
          'MEMIT-MASS': 79,
          DEFER: 54,
          GRACE: 36,
          WISE: 97,
        },
        locality: {
          'FT-L': 91,
          'FT-EWC': 1,
          MEND: 98,
          ROME: 98,
          MEMIT: 99,
          'MEMIT-MASS': 99,
          DEFER: 79,
          GRACE: 100,
          WISE: 100,
        },
      },
      10: {
        reliability: {
          'FT-L': 39,
          'FT-EWC': 84,
          MEND: 1,
          ROME: 58,
          MEMIT: 46,
          'MEMIT-MASS': 74,
          DEFER: 53,
          GRACE: 100,
          WISE: 92,
        },
        generalization: {
          'FT-L': 39,
          'FT-EWC': 78,
          MEND: 1,
          ROME: 57,
          MEMIT: 45,
          'MEMIT-MASS': 71,
          DEFER: 43,
          GRACE: 15,
          WISE: 89,
        },
        locality: {
          'FT-L': 50,
          'FT-EWC': 2,
          MEND: 2,
          ROME: 75,
          MEMIT: 61,
          'MEMIT-MASS': 97,
          DEFER: 29,
          GRACE: 100,
          WISE: 100,
        },
      },
      100: {
        reliability: {
          'FT-L': 11,
          'FT-EWC': 82,
          MEND: 0,
          ROME: 5,
          MEMIT: 0,
          'MEMIT-MASS': 73,
          DEFER: 28,
          GRACE: 100,
          WISE: 87,
        },
        generalization: {
          'FT-L': 10,
          'FT-EWC': 72,
          MEND: 0,
          ROME: 5,
          MEMIT: 0,
          'MEMIT-MASS': 71,
          DEFER: 17,
          GRACE: 15,
          WISE: 80,
        },
        locality: {
          'FT-L': 2,
          'FT-EWC': 9,
          MEND: 0,
          ROME: 2,
          MEMIT: 1,
          'MEMIT-MASS': 88,
          DEFER: 26,
          GRACE: 100,
          WISE: 100,
        },
      },
      1000: {
        reliability: {
          'FT-L': 16,
          'FT-EWC': 76,
          MEND: 0,
          ROME: 4,
          MEMIT: 4,
          'MEMIT-MASS': 73,
          DEFER: 2,
          GRACE: 100,
          WISE: 70,
        },
        generalization: {
          'FT-L': 13,
          'FT-EWC': 69,
          MEND: 0,
          ROME: 4,
          MEMIT: 4,
          'MEMIT-MASS': 70,
          DEFER: 2,
          GRACE: 2,
          WISE: 67,
        },
        locality: {
          'FT-L': 1,
          'FT-EWC': 9,
          MEND: 0,
          ROME: 2,
          MEMIT: 2,
          'MEMIT-MASS': 62,
          DEFER: 67,
          GRACE: 100,
          WISE: 100,
        },
      },
    },
  },
} as const satisfies {
  source: PublishedSource;
  models: readonly string[];
  values: Record<
    string,
    Record<number, Record<'reliability' | 'generalization' | 'locality', PublishedColumn>>
  >;
};

/** How one of our methods is named in each published table (absent: not in that table). */
const mmedit: PublishedSource = {
  label: 'MMEdit',
  citation:
    'Cheng et al. 2023, Can We Edit Multimodal Large Language Models? (EMNLP 2023, arXiv 2310.08475): ' +
    'M-Generality as listed in zjunlp/EasyEdit README.md at commit a0e981eedf6e6cf47088611d96e9292d39f27d4b, ' +
    'lines 633-645 (AUTHOR-MIRROR; shared/reference/tables.md section 2)',
};

/**
 * The one MMEdit result block found: M-Generality (percent) of KE, IKE, SERAC and MEND, per data set and
 * model. The README does not say whether these are the paper's numbers or a rerun after later fixes.
 */
export const MMEDIT_M_GENERALITY = {
  source: mmedit,
  models: ['MiniGPT-4', 'BLIP-2 OPT'] as const,
  values: {
    'e-vqa': {
      'MiniGPT-4': { KE: 88.6, IKE: 99.95, SERAC: 88.1, MEND: 99.6 },
      'BLIP-2 OPT': { KE: 74.6, IKE: 99.79, SERAC: 99.2, MEND: 99.4 },
    },
    'e-ic': {
      'MiniGPT-4': { KE: 13.6, IKE: 91.0, SERAC: 91.47, MEND: 93.35 },
      'BLIP-2 OPT': { KE: 1.6, IKE: 96.55, SERAC: 99.72, MEND: 93.48 },
    },
  },
} as const;

export interface PublishedNames {
  /** Yao et al. Table 1 row. */
  survey?: string;
  /**
   * ROME Table 4 row, and Table 1's (zsRE), which names the editors the same way (FT, FT+L, KE, MEND, ROME;
   * Table 1 has no KN row).
   */
  rome?: string;
  /** Row of Yao et al.'s time table. */
  time?: string;
  /** Row of EasyEdit's GPU-memory table. */
  memory?: string;
  /** Row of WISE's Table 2 (sequential ZsRE editing). */
  wise?: string;
  /** Column of MMEdit's M-Generality block (Table D). */
  mmedit?: string;
}
