// Expected outputs of the real `ctr` for the scenarios of ./ctr.test.ts.
//
// Recorded from a fresh, isolated real containerd 1.6.20 (Debian 1.6.20~ds1-1+deb12u3, started with
// /work/shared/tools/containerd-up.sh on an empty directory) and ctr from the same package, by running
// ./ctr.test.ts with BERTH_CTR_ADDRESS=<that socket> BERTH_CTR_RECORD=<out.json>. The suite then passed
// against another fresh containerd 1.6.20 in assert mode. Outputs are normalised as `normalise` in
// ./ctr.test.ts describes (temp rootfs dir, logrus time=, c info CreatedAt/UpdatedAt, event timestamps;
// `ctr c label` output items sorted because ctr prints them in Go map order).
//
// gRPC methods ctr 1.6.20 called for these commands (logged by an h2c proxy in front of containerd;
// status = the gRPC code containerd answered). ctr makes no call when it connects (no Version,
// Introspection or Health call), and none of these commands touched Snapshots, Images, Content, Diff or
// Introspection: with `--rootfs` the container has no snapshotter/snapshot key, so `c rm` skips
// Snapshots/Remove.
//   ns ls          Namespaces/List, then Namespaces/Get per namespace (no Get when there are none)
//   ns ls -q       Namespaces/List
//   ns create      Namespaces/Create                         (6 duplicate, 3 bad name)
//   ns label N k=v Namespaces/Update, one per pair (mask labels.<k>; pair order = Go map order)
//   ns rm          Namespaces/Delete                         (9 not empty, 5 unknown: ctr prints the name, exit 0)
//   c create --rootfs DIR ID
//                  Leases/Create → Containers/Create (with containerd-lease header) → Leases/Delete,
//                  also when Create fails (6 duplicate, 3 bad id)
//   c ls [filters] Containers/ListStream                     (3 bad filter, 3 bad namespace)
//   c info ID      Containers/Get                            (5 missing)
//   c label ID …   Containers/Get → Containers/Update        (no pairs: Update with an EMPTY mask, which
//                  containerd answers 3 `container.Runtime.Name field is immutable`)
//   c rm ID        Containers/Get → Tasks/Get (5 `task <id> not found`) → Tasks/Get (5 again)
//                  → Containers/Get → Containers/Delete; a missing id stops after the first Containers/Get
//   events [f…]    Events/Subscribe (one server stream, cancelled by the client at exit)
// Full paths: /containerd.services.namespaces.v1.Namespaces/{List,Get,Create,Update,Delete},
// /containerd.services.leases.v1.Leases/{Create,Delete}, /containerd.services.containers.v1.Containers/
// {ListStream,Get,Create,Update,Delete}, /containerd.services.tasks.v1.Tasks/Get,
// /containerd.services.events.v1.Events/Subscribe.

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
    args: ["ns", "ls"],
    code: 0,
    stdout: "NAME LABELS \n",
    stderr: "",
  },
  {
    title: "ns create N",
    args: ["ns", "create", "nsa"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns create N k=v",
    args: ["ns", "create", "nsb", "k=v", "team=blue"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns create of an existing namespace",
    args: ["ns", "create", "nsa"],
    code: 1,
    stdout: "",
    stderr: `ctr: namespace "nsa": already exists
`,
  },
  {
    title: "ns create with an invalid name",
    args: ["ns", "create", "Bad_NS!"],
    code: 1,
    stdout: "",
    stderr: `ctr: identifier "Bad_NS!" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument
`,
  },
  {
    title: "ns label N k=v",
    args: ["ns", "label", "nsa", "k=v"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns label N with two pairs",
    args: ["ns", "label", "nsa", "a=1", "b=2"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns ls after labelling",
    args: ["ns", "ls"],
    code: 0,
    stdout: "NAME LABELS        \nnsa  a=1,b=2,k=v   \nnsb  k=v,team=blue \n",
    stderr: "",
  },
  {
    title: "ns label N k= (removal)",
    args: ["ns", "label", "nsa", "k="],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns ls after removing a label",
    args: ["ns", "ls"],
    code: 0,
    stdout: "NAME LABELS        \nnsa  a=1,b=2       \nnsb  k=v,team=blue \n",
    stderr: "",
  },
  {
    title: "ns ls -q",
    args: ["ns", "ls", "-q"],
    code: 0,
    stdout: `nsa
nsb
`,
    stderr: "",
  },
  {
    title: "ns rm of an empty namespace",
    args: ["ns", "rm", "nsb"],
    code: 0,
    stdout: `nsb
`,
    stderr: "",
  },
  {
    title: "c create in a namespace that ns rm must refuse",
    args: ["-n", "nsfull", "c", "create", "--rootfs", "{ROOTFS}", "keep"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns rm of a namespace with containers",
    args: ["ns", "rm", "nsfull"],
    code: 1,
    stdout: "",
    stderr:
      'time="<TIME>" level=error msg="unable to delete nsfull" error="namespace \\"nsfull\\" must be empty, but it still has containers: failed precondition"\nctr: unable to delete nsfull: namespace "nsfull" must be empty, but it still has containers: failed precondition\n',
  },
  {
    title: "ns rm of an unknown namespace",
    args: ["ns", "rm", "nope"],
    code: 0,
    stdout: `nope
`,
    stderr: "",
  },
  {
    title: "ns ls -q after the removals",
    args: ["ns", "ls", "-q"],
    code: 0,
    stdout: `nsa
nsfull
`,
    stderr: "",
  },
];

export const CONTAINER_STEPS: readonly CtrStep[] = [
  {
    title: "c ls in an empty namespace",
    args: ["-n", "ctrs", "c", "ls"],
    code: 0,
    stdout: "CONTAINER    IMAGE    RUNTIME    \n",
    stderr: "",
  },
  {
    title: "c create --rootfs DIR ID",
    args: ["-n", "ctrs", "c", "create", "--rootfs", "{ROOTFS}", "c1"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create --rootfs DIR --label k=v ID",
    args: ["-n", "ctrs", "c", "create", "--rootfs", "--label", "k=v", "--label", "app=web", "{ROOTFS}", "c2"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create of a second unlabelled container",
    args: ["-n", "ctrs", "c", "create", "--rootfs", "{ROOTFS}", "other"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create of a duplicate id",
    args: ["-n", "ctrs", "c", "create", "--rootfs", "{ROOTFS}", "c1"],
    code: 1,
    stdout: "",
    stderr: `ctr: container "c1": already exists
`,
  },
  {
    title: "c create with a bad id",
    args: ["-n", "ctrs", "c", "create", "--rootfs", "{ROOTFS}", "Bad_ID!"],
    code: 1,
    stdout: "",
    stderr: `ctr: create container failed validation: container.ID: identifier "Bad_ID!" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument
`,
  },
  {
    title: "c create with a 77-character id",
    args: [
      "-n",
      "ctrs",
      "c",
      "create",
      "--rootfs",
      "{ROOTFS}",
      "cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ],
    code: 1,
    stdout: "",
    stderr: `ctr: create container failed validation: container.ID: identifier "cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" greater than maximum length (76 characters): invalid argument
`,
  },
  {
    title: "c ls",
    args: ["-n", "ctrs", "c", "ls"],
    code: 0,
    stdout:
      "CONTAINER    IMAGE    RUNTIME                  \nc1           -        io.containerd.runc.v2    \nc2           -        io.containerd.runc.v2    \nother        -        io.containerd.runc.v2    \n",
    stderr: "",
  },
  {
    title: "c ls labels.k==v",
    args: ["-n", "ctrs", "c", "ls", "labels.k==v"],
    code: 0,
    stdout: "CONTAINER    IMAGE    RUNTIME                  \nc2           -        io.containerd.runc.v2    \n",
    stderr: "",
  },
  {
    title: "c ls id~=^c",
    args: ["-n", "ctrs", "c", "ls", "id~=^c"],
    code: 0,
    stdout:
      "CONTAINER    IMAGE    RUNTIME                  \nc1           -        io.containerd.runc.v2    \nc2           -        io.containerd.runc.v2    \n",
    stderr: "",
  },
  {
    title: "c ls with two filters (OR)",
    args: ["-n", "ctrs", "c", "ls", "id==other", "labels.app==web"],
    code: 0,
    stdout:
      "CONTAINER    IMAGE    RUNTIME                  \nc2           -        io.containerd.runc.v2    \nother        -        io.containerd.runc.v2    \n",
    stderr: "",
  },
  {
    title: "c ls with a bad filter id=x",
    args: ["-n", "ctrs", "c", "ls", "id=x"],
    code: 1,
    stdout: "",
    stderr: `ctr: filters: parse error: [id >|=|< x]: unsupported operator "=": invalid argument: invalid argument
`,
  },
  {
    title: "c ls -q",
    args: ["-n", "ctrs", "c", "ls", "-q"],
    code: 0,
    stdout: `c1
c2
other
`,
    stderr: "",
  },
  {
    title: "c ls in an invalid namespace",
    args: ["-n", "Bad NS", "c", "ls"],
    code: 1,
    stdout: "",
    stderr: `ctr: namespace validation: identifier "Bad NS" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument
`,
  },
  {
    title: "c info ID",
    args: ["-n", "ctrs", "c", "info", "c2"],
    code: 0,
    stdout: `{
    "ID": "c2",
    "Labels": {
        "app": "web",
        "k": "v"
    },
    "Image": "",
    "Runtime": {
        "Name": "io.containerd.runc.v2",
        "Options": {
            "type_url": "containerd.runc.v1.Options"
        }
    },
    "SnapshotKey": "",
    "Snapshotter": "",
    "CreatedAt": "<TIME>",
    "UpdatedAt": "<TIME>",
    "Extensions": null,
    "Spec": {
        "ociVersion": "1.0.2-dev",
        "process": {
            "user": {
                "uid": 0,
                "gid": 0
            },
            "cwd": "/",
            "capabilities": {
                "bounding": [
                    "CAP_CHOWN",
                    "CAP_DAC_OVERRIDE",
                    "CAP_FSETID",
                    "CAP_FOWNER",
                    "CAP_MKNOD",
                    "CAP_NET_RAW",
                    "CAP_SETGID",
                    "CAP_SETUID",
                    "CAP_SETFCAP",
                    "CAP_SETPCAP",
                    "CAP_NET_BIND_SERVICE",
                    "CAP_SYS_CHROOT",
                    "CAP_KILL",
                    "CAP_AUDIT_WRITE"
                ],
                "effective": [
                    "CAP_CHOWN",
                    "CAP_DAC_OVERRIDE",
                    "CAP_FSETID",
                    "CAP_FOWNER",
                    "CAP_MKNOD",
                    "CAP_NET_RAW",
                    "CAP_SETGID",
                    "CAP_SETUID",
                    "CAP_SETFCAP",
                    "CAP_SETPCAP",
                    "CAP_NET_BIND_SERVICE",
                    "CAP_SYS_CHROOT",
                    "CAP_KILL",
                    "CAP_AUDIT_WRITE"
                ],
                "permitted": [
                    "CAP_CHOWN",
                    "CAP_DAC_OVERRIDE",
                    "CAP_FSETID",
                    "CAP_FOWNER",
                    "CAP_MKNOD",
                    "CAP_NET_RAW",
                    "CAP_SETGID",
                    "CAP_SETUID",
                    "CAP_SETFCAP",
                    "CAP_SETPCAP",
                    "CAP_NET_BIND_SERVICE",
                    "CAP_SYS_CHROOT",
                    "CAP_KILL",
                    "CAP_AUDIT_WRITE"
                ]
            },
            "rlimits": [
                {
                    "type": "RLIMIT_NOFILE",
                    "hard": 1024,
                    "soft": 1024
                }
            ],
            "noNewPrivileges": true
        },
        "root": {
            "path": "<ROOTFS>"
        },
        "mounts": [
            {
                "destination": "/proc",
                "type": "proc",
                "source": "proc",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev"
                ]
            },
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": [
                    "nosuid",
                    "strictatime",
                    "mode=755",
                    "size=65536k"
                ]
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": [
                    "nosuid",
                    "noexec",
                    "newinstance",
                    "ptmxmode=0666",
                    "mode=0620",
                    "gid=5"
                ]
            },
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev",
                    "mode=1777",
                    "size=65536k"
                ]
            },
            {
                "destination": "/dev/mqueue",
                "type": "mqueue",
                "source": "mqueue",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev"
                ]
            },
            {
                "destination": "/sys",
                "type": "sysfs",
                "source": "sysfs",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev",
                    "ro"
                ]
            },
            {
                "destination": "/run",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": [
                    "nosuid",
                    "strictatime",
                    "mode=755",
                    "size=65536k"
                ]
            }
        ],
        "annotations": {
            "app": "web",
            "k": "v"
        },
        "linux": {
            "resources": {
                "devices": [
                    {
                        "allow": false,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 3,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 8,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 7,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 5,
                        "minor": 0,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 5,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 9,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 5,
                        "minor": 1,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 136,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 5,
                        "minor": 2,
                        "access": "rwm"
                    }
                ]
            },
            "cgroupsPath": "/ctrs/c2",
            "namespaces": [
                {
                    "type": "pid"
                },
                {
                    "type": "ipc"
                },
                {
                    "type": "uts"
                },
                {
                    "type": "mount"
                },
                {
                    "type": "network"
                }
            ],
            "maskedPaths": [
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/sys/firmware",
                "/proc/scsi"
            ],
            "readonlyPaths": [
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger"
            ]
        }
    }
}
`,
    stderr: "",
  },
  {
    title: "c info of a missing id",
    args: ["-n", "ctrs", "c", "info", "missing"],
    code: 1,
    stdout: "",
    stderr: `ctr: container "missing" in namespace "ctrs": not found
`,
  },
  {
    title: "c label ID k=v",
    args: ["-n", "ctrs", "c", "label", "c1", "k=v"],
    code: 0,
    stdout: `k=v
`,
    stderr: "",
  },
  {
    title: "c label ID with two pairs",
    args: ["-n", "ctrs", "c", "label", "c1", "x=1", "y=2"],
    code: 0,
    stdout: `k=v,x=1,y=2
`,
    stderr: "",
  },
  {
    title: "c label ID k= (removal)",
    args: ["-n", "ctrs", "c", "label", "c1", "k="],
    code: 0,
    stdout: `x=1,y=2
`,
    stderr: "",
  },
  {
    title: "c label ID without pairs",
    args: ["-n", "ctrs", "c", "label", "c1"],
    code: 1,
    stdout: "",
    stderr: `ctr: container.Runtime.Name field is immutable: invalid argument
`,
  },
  {
    title: "c label of a missing id",
    args: ["-n", "ctrs", "c", "label", "missing", "k=v"],
    code: 1,
    stdout: "",
    stderr: `ctr: container "missing" in namespace "ctrs": not found
`,
  },
  {
    title: "c info ID after labelling",
    args: ["-n", "ctrs", "c", "info", "c1"],
    code: 0,
    stdout: `{
    "ID": "c1",
    "Labels": {
        "x": "1",
        "y": "2"
    },
    "Image": "",
    "Runtime": {
        "Name": "io.containerd.runc.v2",
        "Options": {
            "type_url": "containerd.runc.v1.Options"
        }
    },
    "SnapshotKey": "",
    "Snapshotter": "",
    "CreatedAt": "<TIME>",
    "UpdatedAt": "<TIME>",
    "Extensions": null,
    "Spec": {
        "ociVersion": "1.0.2-dev",
        "process": {
            "user": {
                "uid": 0,
                "gid": 0
            },
            "cwd": "/",
            "capabilities": {
                "bounding": [
                    "CAP_CHOWN",
                    "CAP_DAC_OVERRIDE",
                    "CAP_FSETID",
                    "CAP_FOWNER",
                    "CAP_MKNOD",
                    "CAP_NET_RAW",
                    "CAP_SETGID",
                    "CAP_SETUID",
                    "CAP_SETFCAP",
                    "CAP_SETPCAP",
                    "CAP_NET_BIND_SERVICE",
                    "CAP_SYS_CHROOT",
                    "CAP_KILL",
                    "CAP_AUDIT_WRITE"
                ],
                "effective": [
                    "CAP_CHOWN",
                    "CAP_DAC_OVERRIDE",
                    "CAP_FSETID",
                    "CAP_FOWNER",
                    "CAP_MKNOD",
                    "CAP_NET_RAW",
                    "CAP_SETGID",
                    "CAP_SETUID",
                    "CAP_SETFCAP",
                    "CAP_SETPCAP",
                    "CAP_NET_BIND_SERVICE",
                    "CAP_SYS_CHROOT",
                    "CAP_KILL",
                    "CAP_AUDIT_WRITE"
                ],
                "permitted": [
                    "CAP_CHOWN",
                    "CAP_DAC_OVERRIDE",
                    "CAP_FSETID",
                    "CAP_FOWNER",
                    "CAP_MKNOD",
                    "CAP_NET_RAW",
                    "CAP_SETGID",
                    "CAP_SETUID",
                    "CAP_SETFCAP",
                    "CAP_SETPCAP",
                    "CAP_NET_BIND_SERVICE",
                    "CAP_SYS_CHROOT",
                    "CAP_KILL",
                    "CAP_AUDIT_WRITE"
                ]
            },
            "rlimits": [
                {
                    "type": "RLIMIT_NOFILE",
                    "hard": 1024,
                    "soft": 1024
                }
            ],
            "noNewPrivileges": true
        },
        "root": {
            "path": "<ROOTFS>"
        },
        "mounts": [
            {
                "destination": "/proc",
                "type": "proc",
                "source": "proc",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev"
                ]
            },
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": [
                    "nosuid",
                    "strictatime",
                    "mode=755",
                    "size=65536k"
                ]
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": [
                    "nosuid",
                    "noexec",
                    "newinstance",
                    "ptmxmode=0666",
                    "mode=0620",
                    "gid=5"
                ]
            },
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev",
                    "mode=1777",
                    "size=65536k"
                ]
            },
            {
                "destination": "/dev/mqueue",
                "type": "mqueue",
                "source": "mqueue",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev"
                ]
            },
            {
                "destination": "/sys",
                "type": "sysfs",
                "source": "sysfs",
                "options": [
                    "nosuid",
                    "noexec",
                    "nodev",
                    "ro"
                ]
            },
            {
                "destination": "/run",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": [
                    "nosuid",
                    "strictatime",
                    "mode=755",
                    "size=65536k"
                ]
            }
        ],
        "linux": {
            "resources": {
                "devices": [
                    {
                        "allow": false,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 3,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 8,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 7,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 5,
                        "minor": 0,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 5,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 1,
                        "minor": 9,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 5,
                        "minor": 1,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 136,
                        "access": "rwm"
                    },
                    {
                        "allow": true,
                        "type": "c",
                        "major": 5,
                        "minor": 2,
                        "access": "rwm"
                    }
                ]
            },
            "cgroupsPath": "/ctrs/c1",
            "namespaces": [
                {
                    "type": "pid"
                },
                {
                    "type": "ipc"
                },
                {
                    "type": "uts"
                },
                {
                    "type": "mount"
                },
                {
                    "type": "network"
                }
            ],
            "maskedPaths": [
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/sys/firmware",
                "/proc/scsi"
            ],
            "readonlyPaths": [
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger"
            ]
        }
    }
}
`,
    stderr: "",
  },
  {
    title: "c ls labels.k==v after relabelling",
    args: ["-n", "ctrs", "c", "ls", "-q", "labels.k==v"],
    code: 0,
    stdout: `c2
`,
    stderr: "",
  },
  {
    title: "c rm ID",
    args: ["-n", "ctrs", "c", "rm", "c1"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "c rm of a missing id",
    args: ["-n", "ctrs", "c", "rm", "c1"],
    code: 1,
    stdout: "",
    stderr:
      'time="<TIME>" level=error msg="failed to delete container \\"c1\\"" error="container \\"c1\\" in namespace \\"ctrs\\": not found"\nctr: container "c1" in namespace "ctrs": not found\n',
  },
  {
    title: "c rm of a missing id in an unknown namespace",
    args: ["-n", "ghostns", "c", "rm", "c1"],
    code: 1,
    stdout: "",
    stderr:
      'time="<TIME>" level=error msg="failed to delete container \\"c1\\"" error="container \\"c1\\" in namespace \\"ghostns\\": not found"\nctr: container "c1" in namespace "ghostns": not found\n',
  },
  {
    title: "c ls -q after rm",
    args: ["-n", "ctrs", "c", "ls", "-q"],
    code: 0,
    stdout: `c2
other
`,
    stderr: "",
  },
];

export const EVENT_STEPS: readonly CtrStep[] = [
  {
    title: "ns create with a label (watched)",
    args: ["-n", "evns", "ns", "create", "evns", "a=b"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "c create --label (watched)",
    args: ["-n", "evns", "c", "create", "--rootfs", "--label", "x=y", "{ROOTFS}", "e1"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "c label k=v (watched)",
    args: ["-n", "evns", "c", "label", "e1", "k=v"],
    code: 0,
    stdout: `k=v,x=y
`,
    stderr: "",
  },
  {
    title: "c label k= (watched)",
    args: ["-n", "evns", "c", "label", "e1", "k="],
    code: 0,
    stdout: `x=y
`,
    stderr: "",
  },
  {
    title: "c rm (watched)",
    args: ["-n", "evns", "c", "rm", "e1"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns label (watched)",
    args: ["-n", "evns", "ns", "label", "evns", "a=c"],
    code: 0,
    stdout: "",
    stderr: "",
  },
  {
    title: "ns rm (watched)",
    args: ["-n", "evns", "ns", "rm", "evns"],
    code: 0,
    stdout: `evns
`,
    stderr: "",
  },
];

// `ctr events` (all namespaces) and `ctr events topic~=^/containers/ event.name==ctrevprobe`, both running
// while EVENT_STEPS ran; probe lines removed, timestamps normalised to `<TIME>`. Real containerd printed no
// line with another topic for these commands (nothing from snapshots/images/content/tasks).

export const EVENTS_ALL: EventsExpectation = {
  stdout: `<TIME> evns /namespaces/create {"name":"evns","labels":{"a":"b"}}
<TIME> evns /containers/create {"id":"e1","runtime":{"name":"io.containerd.runc.v2","options":{"type_url":"containerd.runc.v1.Options"}}}
<TIME> evns /containers/update {"id":"e1","labels":{"k":"v","x":"y"}}
<TIME> evns /containers/update {"id":"e1","labels":{"x":"y"}}
<TIME> evns /containers/delete {"id":"e1"}
<TIME> evns /namespaces/update {"name":"evns","labels":{"a":"c"}}
<TIME> evns /namespaces/delete {"name":"evns"}
`,
  stderr: "",
};

export const EVENTS_FILTERED: EventsExpectation = {
  filters: ["topic~=^/containers/", "event.name==ctrevprobe"],
  stdout: `<TIME> evns /containers/create {"id":"e1","runtime":{"name":"io.containerd.runc.v2","options":{"type_url":"containerd.runc.v1.Options"}}}
<TIME> evns /containers/update {"id":"e1","labels":{"k":"v","x":"y"}}
<TIME> evns /containers/update {"id":"e1","labels":{"x":"y"}}
<TIME> evns /containers/delete {"id":"e1"}
`,
  stderr: "",
};
