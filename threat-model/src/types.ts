// The threat model's vocabulary. The data lives in model.ts; checks.ts holds it to the code,
// compose.yaml and the test results of the run; report.ts renders it for a reader.

export const STRIDE = ['S', 'T', 'R', 'I', 'D', 'E'] as const;
export type Stride = (typeof STRIDE)[number];
export const STRIDE_NAMES: Record<Stride, string> = {
  S: 'Spoofing',
  T: 'Tampering',
  R: 'Repudiation',
  I: 'Information disclosure',
  D: 'Denial of service',
  E: 'Elevation of privilege',
};

export interface DataClass {
  id: string;
  name: string;
  /** Where the data lives, as the architecture states it. */
  heldBy: string[];
  description: string;
}

export interface Asset {
  id: string;
  name: string;
  dataClasses: string[];
  description: string;
}

export interface Actor {
  id: string;
  name: string;
  description: string;
  trusted: boolean;
}

export interface TrustBoundary {
  id: string;
  name: string;
  /** The compose network this boundary is, when it is one. */
  network?: string;
  description: string;
}

/**
 * `undeployed-service`: a service whose code is in the repository but that compose.yaml does
 * not run yet. It is modelled from its code (flows, outbound connections, threats); the model
 * checks fail once compose runs it, asking for its kind and its networks to be set.
 */
export type ComponentKind = 'compose-service' | 'undeployed-service' | 'external-service' | 'browser';

export interface Component {
  id: string;
  name: string;
  kind: ComponentKind;
  /** For compose services: the service name in compose.yaml. */
  composeService?: string;
  /** Trust boundaries (compose networks, or an outside zone) the component sits in. */
  boundaries: string[];
  description: string;
  /** What is not built yet, said plainly. */
  unbuilt?: string;
  /** STRIDE categories that do not apply, each with the reason. */
  notApplicable?: Partial<Record<Stride, string>>;
}

export interface Flow {
  id: string;
  from: string;
  to: string;
  protocol: string;
  authentication: string;
  dataClasses: string[];
  description: string;
  /** The compose network the flow crosses, when it is a network path between compose services. */
  network?: string;
  /** The compose volume the flow goes through, when it is not a network path. */
  volume?: string;
  notApplicable?: Partial<Record<Stride, string>>;
}

/** A network path compose allows between two services that no flow uses, and why it is harmless. */
export interface UnusedPath {
  between: [string, string];
  network: string;
  reason: string;
}

/** An outbound connection a service's config schema can configure. */
export interface OutboundConnection {
  /** Compose service whose config schema reads the variable. */
  service: string;
  variable: string;
  kind: OutboundKind;
  /** The flow that models it, or why it is not used in the compose deployment. */
  flow?: string;
  unused?: string;
}

export type OutboundKind = 'database' | 'redis' | 'amqp' | 'vault' | 'tokenizer' | 'stripe' | 'smtp';

export type Evidence =
  /**
   * The tests in `file` whose names carry the control id; or, with `names`, the tests of `file`
   * with exactly these names (for tests of a part whose names cannot carry the id).
   */
  | { kind: 'test'; file: string; names?: string[] }
  /** A key of a YAML/JSON file (dotted path, `[n]` for list items) or an nginx directive, with its value. */
  | { kind: 'config'; file: string; key: string; equals: string | number | boolean }
  /** A scanner, run by the tests in `file` whose names carry the control id. */
  | { kind: 'scan'; tool: string; file: string };

export interface Control {
  id: string;
  name: string;
  /** Where the control is enforced (files). */
  enforcedIn: string[];
  /**
   * Every piece of evidence. A `test` evidence is every test or suite of its file whose name
   * carries `[<id>]`: at least one must exist and all of them must pass in the run.
   */
  evidence: Evidence[];
}

export type Likelihood = 'low' | 'medium' | 'high';
export type Impact = 'low' | 'medium' | 'high';
export type ThreatStatus = 'mitigated' | 'open' | 'accepted' | 'transferred';

export interface RiskAcceptance {
  justification: string;
  /** A role, never a person. */
  owner: string;
  /** ISO date (YYYY-MM-DD); on and after it the acceptance no longer holds. */
  expires: string;
}

export interface Threat {
  id: string;
  title: string;
  category: Stride;
  /** Component and flow ids. */
  appliesTo: string[];
  likelihood: Likelihood;
  impact: Impact;
  status: ThreatStatus;
  mitigations: string[];
  /** Required for `accepted`. */
  acceptance?: RiskAcceptance;
  /** Required for `transferred`: who carries it and the policy that checks them. */
  transferredTo?: string;
  /** Required for `open`: what remains to do. */
  remaining?: string;
}

export interface ThreatModel {
  title: string;
  /** Roles that may own a risk acceptance or a policy: never a person. */
  roles: string[];
  dataClasses: DataClass[];
  assets: Asset[];
  actors: Actor[];
  boundaries: TrustBoundary[];
  components: Component[];
  flows: Flow[];
  unusedPaths: UnusedPath[];
  outbound: OutboundConnection[];
  controls: Control[];
  threats: Threat[];
}
