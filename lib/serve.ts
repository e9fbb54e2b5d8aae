/** What every server does around its networking: say where it listens, and fail in one line. */
import { networkInterfaces } from "node:os";
import { listenProblem } from "./network-errors.ts";

/** The addresses other machines on the network can reach this one at. */
export function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && address.family === "IPv4" && !address.internal)
    .map((address) => address!.address);
}

/** The first line every server prints (tests and `npm start` read it), then how players elsewhere join. */
export function announce({ address, port }: { address: string; port: number }): void {
  console.log(`listening on ${address}:${port}`);
  const lan = lanAddresses();
  if (address === "0.0.0.0" && lan.length > 0) {
    console.log(`players on other machines: --host ${lan.join(" or --host ")} --port ${port}`);
  } else if (address.startsWith("127.")) {
    console.log("only this machine can join (use --host 0.0.0.0 to let the network in)");
  }
}

/** A server that cannot listen says why in one line, naming the option that fixes it. */
export function exitOnListenError(error: NodeJS.ErrnoException, port: number): never {
  console.error(`error: ${listenProblem(error, port)}`);
  process.exit(1);
}

/** A timestamped log line, so a server's output reads as what happened when. */
export function log(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
}
