/**
 * The adapter wired to a fresh fake Google: a service account whose key pair is generated here (the fake
 * holds the public half and checks every JWT's signature), its key JSON in the environment, and a
 * recording sleep so backoffs never really wait.
 */
import { generateKeyPairSync } from "node:crypto";
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { VendorContext } from "../../types.ts";
import { gmailConfigSchema, gmailVendor } from "../index.ts";
import { startGmailFake, type GmailFakeOptions } from "./fake.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const SERVICE_ACCOUNT = "triage@corp-project.iam.gserviceaccount.com";
export const PUBLIC_KEY = publicKey;

export function keyJson(tokenUri: string, key = privateKey): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "corp-project",
    private_key_id: "k1",
    private_key: key.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: SERVICE_ACCOUNT,
    token_uri: tokenUri,
  });
}

export async function gmailUnderTest(
  options: GmailFakeOptions = {},
  config: Record<string, unknown> = {},
  context: Partial<VendorContext> & { env?: Record<string, string> } = {},
) {
  const fake = await startGmailFake({
    serviceAccount: { clientEmail: SERVICE_ACCOUNT, publicKey },
    ...options,
  });
  const sleeper = recordingSleep();
  const instance = gmailVendor.create(
    gmailConfigSchema.parse({ mailboxes: ["ann@corp.test", "bob@corp.test"], baseUrl: fake.url, ...config }),
    {
      http: { sleep: sleeper.sleep },
      now: () => new Date(),
      ...context,
      env: { GOOGLE_APPLICATION_CREDENTIALS: keyJson(`${fake.url}/token`), ...context.env },
    },
  );
  return { fake, instance, waits: sleeper.waits, mail: instance.mail!, actions: instance.actions! };
}
