import Type, { type Static } from 'typebox';

const B64url = (max: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength: max });

/** The JSON form of a PublicKeyCredential (WebAuthn Level 3 toJSON); anything else is refused. */
const CredentialFields = {
  id: B64url(1400),
  rawId: B64url(1400),
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
  clientExtensionResults: Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 10 }),
};

export const RegistrationBody = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    response: Type.Object(
      {
        ...CredentialFields,
        response: Type.Object(
          {
            clientDataJSON: B64url(4096),
            attestationObject: B64url(16_384),
            authenticatorData: Type.Optional(B64url(16_384)),
            transports: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 8 })),
            publicKeyAlgorithm: Type.Optional(Type.Integer()),
            publicKey: Type.Optional(B64url(4096)),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type RegistrationBody = Static<typeof RegistrationBody>;

export const AuthenticationBody = Type.Object(
  {
    _csrf: Type.String({ maxLength: 100 }),
    response: Type.Object(
      {
        ...CredentialFields,
        response: Type.Object(
          {
            clientDataJSON: B64url(4096),
            authenticatorData: B64url(16_384),
            signature: B64url(2048),
            userHandle: Type.Optional(B64url(128)),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type AuthenticationBody = Static<typeof AuthenticationBody>;

export const CsrfJson = Type.Object({ _csrf: Type.String({ maxLength: 100 }) }, { additionalProperties: false });
