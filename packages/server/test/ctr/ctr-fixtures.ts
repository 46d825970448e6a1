// Expected outputs of the real `ctr` 1.6.20 for the scenarios of ./ctr.test.ts.
// @@DOC@@

/** One ctr invocation: `ctr --address <socket> ...args`; `{ROOTFS}` is replaced by a temporary directory. */
export interface CtrStep {
  readonly title: string;
  readonly args: readonly string[];
  readonly code: number;
  /** Normalised: see `normalise` in ./ctr.test.ts (`<ROOTFS>`, `time="<TIME>"`, `"CreatedAt": "<TIME>"`). */
  readonly stdout: string;
  readonly stderr: string;
}

/** What a `ctr events [filters…]` process printed, reduced to /containers/* and /namespaces/* lines. */
export interface EventsExpectation {
  readonly filters?: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
}


export const NAMESPACE_STEPS: readonly CtrStep[] = [
  {
    title: "ns ls on a fresh daemon",
    args: ["ns","ls"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns create N",
    args: ["ns","create","nsa"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns create N k=v",
    args: ["ns","create","nsb","k=v","team=blue"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns create of an existing namespace",
    args: ["ns","create","nsa"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns create with an invalid name",
    args: ["ns","create","Bad_NS!"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns label N k=v",
    args: ["ns","label","nsa","k=v"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns label N with two pairs",
    args: ["ns","label","nsa","a=1","b=2"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns ls after labelling",
    args: ["ns","ls"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns label N k= (removal)",
    args: ["ns","label","nsa","k="],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns ls after removing a label",
    args: ["ns","ls"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns ls -q",
    args: ["ns","ls","-q"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns rm of an empty namespace",
    args: ["ns","rm","nsb"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create in a namespace that ns rm must refuse",
    args: ["-n","nsfull","c","create","--rootfs","{ROOTFS}","keep"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns rm of a namespace with containers",
    args: ["ns","rm","nsfull"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns rm of an unknown namespace",
    args: ["ns","rm","nope"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns ls -q after the removals",
    args: ["ns","ls","-q"],
    code: -1,
    stdout: "",
    stderr: "",
  },
];

export const CONTAINER_STEPS: readonly CtrStep[] = [
  {
    title: "c ls in an empty namespace",
    args: ["-n","ctrs","c","ls"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create --rootfs DIR ID",
    args: ["-n","ctrs","c","create","--rootfs","{ROOTFS}","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create --rootfs DIR --label k=v ID",
    args: ["-n","ctrs","c","create","--rootfs","--label","k=v","--label","app=web","{ROOTFS}","c2"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create of a second unlabelled container",
    args: ["-n","ctrs","c","create","--rootfs","{ROOTFS}","other"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create of a duplicate id",
    args: ["-n","ctrs","c","create","--rootfs","{ROOTFS}","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create with a bad id",
    args: ["-n","ctrs","c","create","--rootfs","{ROOTFS}","Bad_ID!"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create with a 77-character id",
    args: ["-n","ctrs","c","create","--rootfs","{ROOTFS}","cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls",
    args: ["-n","ctrs","c","ls"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls labels.k==v",
    args: ["-n","ctrs","c","ls","labels.k==v"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls id~=^c",
    args: ["-n","ctrs","c","ls","id~=^c"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls with two filters (OR)",
    args: ["-n","ctrs","c","ls","id==other","labels.app==web"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls with a bad filter id=x",
    args: ["-n","ctrs","c","ls","id=x"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls -q",
    args: ["-n","ctrs","c","ls","-q"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls in an invalid namespace",
    args: ["-n","Bad NS","c","ls"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c info ID",
    args: ["-n","ctrs","c","info","c2"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c info of a missing id",
    args: ["-n","ctrs","c","info","missing"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label ID k=v",
    args: ["-n","ctrs","c","label","c1","k=v"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label ID with two pairs",
    args: ["-n","ctrs","c","label","c1","x=1","y=2"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label ID k= (removal)",
    args: ["-n","ctrs","c","label","c1","k="],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label ID without pairs",
    args: ["-n","ctrs","c","label","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label of a missing id",
    args: ["-n","ctrs","c","label","missing","k=v"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c info ID after labelling",
    args: ["-n","ctrs","c","info","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls labels.k==v after relabelling",
    args: ["-n","ctrs","c","ls","-q","labels.k==v"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c rm ID",
    args: ["-n","ctrs","c","rm","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c rm of a missing id",
    args: ["-n","ctrs","c","rm","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c rm of a missing id in an unknown namespace",
    args: ["-n","ghostns","c","rm","c1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c ls -q after rm",
    args: ["-n","ctrs","c","ls","-q"],
    code: -1,
    stdout: "",
    stderr: "",
  },
];

export const EVENT_STEPS: readonly CtrStep[] = [
  {
    title: "ns create with a label (watched)",
    args: ["-n","evns","ns","create","evns","a=b"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create --label (watched)",
    args: ["-n","evns","c","create","--rootfs","--label","x=y","{ROOTFS}","e1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label k=v (watched)",
    args: ["-n","evns","c","label","e1","k=v"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label k= (watched)",
    args: ["-n","evns","c","label","e1","k="],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "c rm (watched)",
    args: ["-n","evns","c","rm","e1"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns label (watched)",
    args: ["-n","evns","ns","label","evns","a=c"],
    code: -1,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns rm (watched)",
    args: ["-n","evns","ns","rm","evns"],
    code: -1,
    stdout: "",
    stderr: "",
  },
];

// `ctr events` and `ctr events topic~=^/containers/ event.name==ctrevprobe`, running while EVENT_STEPS ran
// (probe lines removed, timestamps normalised to `<TIME>`).

export const EVENTS_ALL: EventsExpectation = {
  stdout: "",
  stderr: "",
};

export const EVENTS_FILTERED: EventsExpectation = {
  filters: ["topic~=^/containers/","event.name==ctrevprobe"],
  stdout: "",
  stderr: "",
};
