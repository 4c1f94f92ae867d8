// The shapes the API accepts: every body and parameter validated, with limits on size and count.
export const LAB_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' } as const;
export const STEP_ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } as const;
export const STUDENT_ID = { type: 'string', pattern: '^[a-f0-9]{12}$' } as const;

export const joinBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'name'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9]+$' },
    // A name is shown on the teacher's board: printable, no control characters.
    name: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
  },
} as const;

export const execBody = {
  type: 'object',
  additionalProperties: false,
  required: ['node', 'argv'],
  properties: {
    node: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$' },
    argv: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { type: 'string', maxLength: 4096, pattern: '^[^\\u0000]*$' },
    },
  },
} as const;

export const predictBody = {
  type: 'object',
  additionalProperties: false,
  required: ['choice'],
  properties: { choice: { type: 'integer', minimum: 0, maximum: 31 } },
} as const;

export const labParams = {
  type: 'object',
  required: ['lab'],
  properties: { lab: LAB_ID },
} as const;

export const stepParams = {
  type: 'object',
  required: ['lab', 'step'],
  properties: { lab: LAB_ID, step: STEP_ID },
} as const;

export const studentParams = {
  type: 'object',
  required: ['id'],
  properties: { id: STUDENT_ID },
} as const;

export const BODY_LIMIT = 64 * 1024; // bytes; the largest valid exec body is far smaller
