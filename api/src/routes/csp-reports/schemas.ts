import Type from 'typebox';

// Bounds keep one report small: browsers send URLs, a directive name, the policy and at most
// a 40-character sample. Unknown fields are refused like everywhere else in the api.
const Url = Type.String({ maxLength: 2048 });
const Short = Type.String({ maxLength: 200 });
const Policy = Type.String({ maxLength: 8192 });
const Line = Type.Integer({ minimum: 0, maximum: 10_000_000 });
const Status = Type.Integer({ minimum: 0, maximum: 999 });
const Sample = Type.String({ maxLength: 256 });

/** `report-uri` format (CSP Level 2/3), Content-Type application/csp-report. */
export const CspReportBody = Type.Object(
  {
    'csp-report': Type.Object(
      {
        'document-uri': Url,
        referrer: Type.Optional(Url),
        'violated-directive': Type.Optional(Short),
        'effective-directive': Type.Optional(Short),
        'original-policy': Type.Optional(Policy),
        disposition: Type.Optional(Type.Union([Type.Literal('enforce'), Type.Literal('report')])),
        'blocked-uri': Type.Optional(Url),
        'line-number': Type.Optional(Line),
        'column-number': Type.Optional(Line),
        'source-file': Type.Optional(Url),
        'status-code': Type.Optional(Status),
        'script-sample': Type.Optional(Sample),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Reporting API format (`report-to`), Content-Type application/reports+json: a batch. */
export const ReportsBody = Type.Array(
  Type.Object(
    {
      type: Type.Literal('csp-violation'),
      age: Type.Optional(Type.Integer({ minimum: 0 })),
      url: Type.Optional(Url),
      user_agent: Type.Optional(Type.String({ maxLength: 512 })),
      body: Type.Object(
        {
          documentURL: Url,
          referrer: Type.Optional(Url),
          blockedURL: Type.Optional(Url),
          effectiveDirective: Short,
          originalPolicy: Type.Optional(Policy),
          sourceFile: Type.Optional(Url),
          sample: Type.Optional(Sample),
          disposition: Type.Union([Type.Literal('enforce'), Type.Literal('report')]),
          statusCode: Type.Optional(Status),
          lineNumber: Type.Optional(Line),
          columnNumber: Type.Optional(Line),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 20 },
);

export const CspReportsRequest = Type.Union([CspReportBody, ReportsBody]);
