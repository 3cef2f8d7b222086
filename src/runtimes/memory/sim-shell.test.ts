import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ShellSyntaxError, parseScript } from "./sh-script.js";
import { type ShellContext, runSimulatedCommand } from "./sim-shell.js";

const slept: number[] = [];
const ctx: ShellContext = {
  env: { PATH: "/bin", HOSTNAME: "web-1", FOO: "bar" },
  files: { "/etc/hostname": "web-1\n", "/app/config": "k=v\n" },
  cwd: "/app",
  hostname: "web-1",
  uid: 0n,
  sleep: async (seconds) => {
    slept.push(seconds);
  },
  maxOutputBytes: 64,
};

async function run(argv: string[]) {
  const r = await runSimulatedCommand(argv, ctx);
  return { out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr), code: r.exitCode };
}

describe("runSimulatedCommand", () => {
  const cases: { desc: string; argv: string[]; out?: string; err?: RegExp; code: number }[] = [
    { desc: "echo prints its arguments and a newline", argv: ["echo", "hello", "world"], out: "hello world\n", code: 0 },
    { desc: "echo -n leaves out the newline", argv: ["echo", "-n", "x"], out: "x", code: 0 },
    { desc: "a path to a command runs the command", argv: ["/bin/echo", "hi"], out: "hi\n", code: 0 },
    { desc: "true succeeds", argv: ["true"], out: "", code: 0 },
    { desc: "false fails with 1", argv: ["false"], out: "", code: 1 },
    { desc: "an unknown command exits 127 with command not found", argv: ["nope", "x"], err: /^nope: command not found\n$/, code: 127 },
    { desc: "exit is not a program outside a shell", argv: ["exit", "3"], err: /command not found/, code: 127 },
    { desc: "sh -c exit N exits with N", argv: ["sh", "-c", "exit 7"], out: "", code: 7 },
    { desc: "sh -c echo prints", argv: ["sh", "-c", "echo x"], out: "x\n", code: 0 },
    { desc: "/bin/bash -c works like sh -c", argv: ["/bin/bash", "-c", "echo 'a  b'"], out: "a  b\n", code: 0 },
    { desc: "; runs commands in sequence and keeps the last status", argv: ["sh", "-c", "echo a; false"], out: "a\n", code: 1 },
    { desc: "&& stops after a failure", argv: ["sh", "-c", "false && echo no"], out: "", code: 1 },
    { desc: "|| runs after a failure", argv: ["sh", "-c", "false || echo yes"], out: "yes\n", code: 0 },
    { desc: "&& and || chain left to right", argv: ["sh", "-c", "false && echo a || echo b"], out: "b\n", code: 0 },
    { desc: "$? is the last status", argv: ["sh", "-c", "false; echo $?"], out: "1\n", code: 0 },
    { desc: "variables expand unquoted and in double quotes", argv: ["sh", "-c", 'echo $FOO "${FOO}x"'], out: "bar barx\n", code: 0 },
    { desc: "single quotes keep $ literal", argv: ["sh", "-c", "echo '$FOO'"], out: "$FOO\n", code: 0 },
    { desc: "assignments set shell variables", argv: ["sh", "-c", "A=1; echo $A"], out: "1\n", code: 0 },
    { desc: "an empty unquoted expansion is no argument", argv: ["sh", "-c", 'echo $MISSING "" end'], out: " end\n", code: 0 },
    { desc: "positional arguments come after the script", argv: ["sh", "-c", "echo $0 $1", "me", "one"], out: "me one\n", code: 0 },
    { desc: "newlines separate commands and # starts a comment", argv: ["sh", "-c", "echo a # c\necho b"], out: "a\nb\n", code: 0 },
    { desc: "exit stops the script", argv: ["sh", "-c", "echo a; exit 4; echo b"], out: "a\n", code: 4 },
    { desc: "a pipe is refused with exit 2", argv: ["sh", "-c", "echo a | cat"], err: /pipes are not supported/, code: 2 },
    { desc: "a redirection is refused with exit 2", argv: ["sh", "-c", "echo a > /tmp/x"], err: /not supported/, code: 2 },
    { desc: "an unterminated quote is a syntax error", argv: ["sh", "-c", "echo 'a"], err: /unterminated/, code: 2 },
    { desc: "cat prints a known file", argv: ["cat", "/etc/hostname"], out: "web-1\n", code: 0 },
    { desc: "cat resolves relative paths against the working dir", argv: ["cat", "config"], out: "k=v\n", code: 0 },
    { desc: "cat of a missing file fails", argv: ["cat", "/nope"], err: /No such file/, code: 1 },
    { desc: "printenv prints one variable", argv: ["printenv", "FOO"], out: "bar\n", code: 0 },
    { desc: "printenv of an unset variable fails quietly", argv: ["printenv", "NOPE"], out: "", code: 1 },
    { desc: "env lists the environment", argv: ["env"], out: "PATH=/bin\nHOSTNAME=web-1\nFOO=bar\n", code: 0 },
    { desc: "env with assignments runs a command", argv: ["env", "X=1", "printenv", "X"], out: "1\n", code: 0 },
    { desc: "hostname prints the sandbox hostname", argv: ["hostname"], out: "web-1\n", code: 0 },
    { desc: "pwd prints the working dir", argv: ["pwd"], out: "/app\n", code: 0 },
    { desc: "printf formats %s and %d", argv: ["printf", "%s=%d\\n", "a", "7"], out: "a=7\n", code: 0 },
    { desc: "output is capped per stream", argv: ["echo", "x".repeat(100)], out: "x".repeat(64), code: 0 },
    { desc: "sleep with a bad interval fails", argv: ["sleep", "soon"], err: /invalid time interval/, code: 1 },
  ];
  for (const t of cases) {
    it(t.desc, async () => {
      const got = await run(t.argv);
      assert.equal(got.code, t.code);
      if (t.out !== undefined) assert.equal(got.out, t.out);
      if (t.err !== undefined) assert.match(got.err, t.err);
    });
  }

  it("sleep asks the context to wait, summing units", async () => {
    slept.length = 0;
    await run(["sh", "-c", "sleep 1.5; sleep 2m"]);
    assert.deepEqual(slept, [1.5, 120]);
  });

  it("a failing sleep (timeout) propagates out of the shell", async () => {
    const failing: ShellContext = { ...ctx, sleep: async () => Promise.reject(new Error("timed out")) };
    await assert.rejects(runSimulatedCommand(["sh", "-c", "sleep 10; echo never"], failing), /timed out/);
  });
});

describe("while and until loops", () => {
  it("a while loop runs its body until the process is stopped, writing as it goes", async () => {
    const written: string[] = [];
    let sleeps = 0;
    const stopping: ShellContext = {
      ...ctx,
      tee: { out: (t) => written.push(t), err: (t) => written.push(`err:${t}`) },
      // The container stops during the third `sleep 1`.
      sleep: async (seconds) => {
        if (seconds > 0 && ++sleeps === 3) throw new Error("stopped");
      },
    };
    await assert.rejects(
      runSimulatedCommand(["sh", "-c", "while true; do echo tick; sleep 1; done"], stopping),
      /stopped/,
    );
    assert.deepEqual(written, ["tick\n", "tick\n", "tick\n"]);
  });

  it("a false condition skips the body; the loop's status is 0", async () => {
    assert.deepEqual(await run(["sh", "-c", "while false; do echo never; done; echo after $?"]), { out: "after 0\n", err: "", code: 0 });
  });

  it("until runs while its condition fails", async () => {
    assert.deepEqual(await run(["sh", "-c", "until true\ndo\n echo never\ndone && echo done"]), { out: "done\n", err: "", code: 0 });
  });

  const broken = ["while true; do echo x", "while true; echo x; done", "do echo x; done", "while; do echo; done", "while true; do done"];
  for (const script of broken) {
    it(`refuses "${script}" as a syntax error (exit 2)`, async () => {
      assert.equal((await run(["sh", "-c", script])).code, 2);
    });
  }
});

describe("parseScript", () => {
  it("rejects a list that starts with &&", () => assert.throws(() => parseScript("&& echo"), ShellSyntaxError));
  it("rejects a list that ends with ||", () => assert.throws(() => parseScript("echo ||"), ShellSyntaxError));
  it("rejects command substitution", () => assert.throws(() => parseScript("echo $(id)"), /command substitution/));
  it("accepts an empty script", () => assert.deepEqual(parseScript(""), []));
});
