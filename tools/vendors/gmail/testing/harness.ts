/**
 * The adapter wired to a fresh fake Google: a service account whose key pair is generated here (the fake
 * holds the public half and checks every JWT's signature), its key JSON in the environment, and a
 * recording sleep so backoffs never really wait.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { VendorContext } from "../../types.ts";
import { gmailConfigSchema, gmailVendor } from "../index.ts";
import { startGmailFake, type GmailFakeOptions } from "./fake.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const SERVICE_ACCOUNT = "triage@corp-project.iam.gserviceaccount.com";

export function keyJson(tokenUri: string, key: KeyObject = privateKey): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "corp-project",
    private_key_id: "k1",
    private_key: key.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: SERVICE_ACCOUNT,
    token_uri: tokenUri,
  });
}

/** Config and environment may depend on the fake's address (a token URL, a key naming it). */
type ByUrl<T> = T | ((url: string) => T);
function at<T extends object>(value: ByUrl<T>, url: string): T {
  return typeof value === "function" ? value(url) : value;
}

export async function gmailUnderTest(
  options: GmailFakeOptions = {},
  config: ByUrl<Record<string, unknown>> = {},
  env: ByUrl<Record<string, string>> = {},
  context: Partial<Omit<VendorContext, "env">> = {},
) {
  const fake = await startGmailFake({
    serviceAccount: { clientEmail: SERVICE_ACCOUNT, publicKey },
    ...options,
  });
  const sleeper = recordingSleep();
  const instance = gmailVendor.create(
    gmailConfigSchema.parse({
      mailboxes: ["ann@corp.test", "bob@corp.test"],
      baseUrl: fake.url,
      ...at(config, fake.url),
    }),
    {
      http: { sleep: sleeper.sleep },
      now: () => new Date(),
      ...context,
      env: { GOOGLE_APPLICATION_CREDENTIALS: keyJson(`${fake.url}/token`), ...at(env, fake.url) },
    },
  );
  return { fake, instance, waits: sleeper.waits, mail: instance.mail!, actions: instance.actions! };
}
