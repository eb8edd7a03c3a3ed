/**
 * The preset deflate dictionary of packed JSON, format v1 (memory/packing.ts). A small blob deflates
 * poorly alone: its key names and enum values occur once each, so nothing repeats. With this text as the
 * window's history they cost a back-reference from the first occurrence.
 *
 * It is the product's own vocabulary, written here by hand from its schemas: key names of core/domain.ts,
 * agent/report-schema.ts and the tool catalog, tool names, enum values, policy rule and analyzer finding
 * ids, the ECS field names the SIEM port speaks, and RFC 5322 header names. Never lab or eval data (that
 * would tune the benchmark to itself).
 *
 * A storage format: rows packed with v1 inflate only with exactly these bytes. Never edit it in place
 * (packing.test.ts pins its hash); a better dictionary is a v2 with its own format byte, and v1 stays.
 * Deflate finds nearer history cheaper, so the most common fragments come last.
 */
const VOCABULARY_V1 = [
  // RFC 5322 and MIME headers, the bulk of a message's source.
  "Received: from  by  with ESMTPS id ; Authentication-Results: spf=pass smtp.mailfrom= dkim=pass header.d=",
  "dmarc=pass header.from= spf=fail dkim=fail dmarc=fail spf=softfail Return-Path: <Reply-To: Message-ID: <",
  'MIME-Version: 1.0\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Type: text/html; charset=',
  'Content-Type: multipart/mixed; boundary="Content-Transfer-Encoding: quoted-printable base64 7bit\r\n',
  'Content-Disposition: attachment; filename="List-Unsubscribe: Date: Mon, Tue, Wed, Thu, Fri, Sat, Sun, ',
  'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec +0000\r\nFrom: "\r\nTo: \r\nSubject: \r\n\r\n',
  // Analyzer finding ids.
  "email.sender.impersonates_person email.sender.lookalike_domain email.sender.reply_to_mismatch",
  "email.sender.known email.sender.history_unavailable email.sender.first_seen email.sender.established",
  "email.sender.display_name_brand email.sender.sender_header_mismatch email.sender.reply_to_freemail",
  "email.sender.protected_authenticated email.sender.phishing_simulation email.sender.internal_spoofed",
  "email.sender.internal_authenticated email.sender.freemail_brand email.thread.lookalike_reply",
  "email.bec.deceptive_request email.bec.first_contact_request email.url.login_page email.url.shortener",
  "email.url.anchor_mismatch email.url.script_scheme email.language.wire_request email.language.gift_cards",
  "email.language.payment_change email.language.payroll_change email.language.callback email.language.urgency",
  "email.language.credentials email.language.contact_pretext email.attachment.html_smuggling",
  "email.attachment.type_mismatch email.attachment.executable email.attachment.encrypted_archive",
  "email.attachment.credential_form email.html.credential_form email.auth.dmarc_fail email.auth.aligned_pass",
  "email.parse.limited email.bulk.list_unsubscribe email.content.wording email.content.minor",
  "identity.signin.usual_country identity.signin.unusual_country identity.signin.unmanaged_device",
  "identity.signin.managed_device identity.signin.medium_risk identity.signin.high_risk",
  "identity.signin.corporate_egress identity.user.clicked_phish identity.rule.move_only identity.rule.hides_mail",
  "identity.rule.internal_forward identity.rule.freemail_forward identity.rule.external_forward",
  "identity.rule.after_unusual_sign_in identity.mfa.push_burst identity.mfa.prompts_from_usual_place",
  "identity.mfa.approved_after_burst identity.ip.suspicious identity.ip.malicious identity.ip.hosting",
  "endpoint.process.unsigned endpoint.process.office_spawned_script endpoint.process.management_agent",
  "endpoint.process.hidden_window endpoint.process.encoded_powershell endpoint.process.not_found",
  "endpoint.network.script_outbound endpoint.network.malicious_destination endpoint.lsass.known_reader",
  "endpoint.lsass.from_user_shell endpoint.lsass.dump_tooling endpoint.intel.malicious_hash",
  "endpoint.edr.high_detection endpoint.edr.medium_detection network.scan.sanctioned_scanner",
  "network.scan.lateral_ports network.scan.from_workstation network.intel.malicious_source",
  // Policy rule ids (policies/default.yaml) and their reasons.
  "rule notify-and-escalate close-confident-benign close-less-sure-needs-a-person",
  "close-suspicious-needs-a-person close-never-malicious quarantine-confident-malicious",
  "quarantine-less-sure-needs-a-person quarantine-wide-needs-a-person quarantine-suspicious-needs-a-person",
  "block-confident-malicious block-less-sure-needs-a-person block-suspicious-needs-a-person",
  "never-block-our-own-or-partners never-block-a-whole-free-mail-provider remove-malicious-inbox-rule",
  "remove-inbox-rule-less-sure-needs-a-person revoke-sessions-malicious revoke-sessions-less-sure-needs-a-person",
  "revoke-sessions-vip-needs-a-lead password-and-account-need-a-person password-and-account-vip-need-a-lead",
  "isolate-workstation-malicious isolate-less-sure-needs-a-person isolate-suspicious-needs-a-person",
  "isolate-critical-server-needs-a-lead kill-malicious-process never-delete-mailboxes",
  "nothing-destructive-on-benign unresolved-targets-need-a-person default no decision",
  // ECS field names of the SIEM port.
  '"user.target.name":"user.enabled":"source.geo.city_name":"source.port":"process.executable":',
  '"process.pid":"process.name":"process.command_line":"host.id":"event.module":"dns.question.name":',
  '"destination.port":"destination.ip":"network.protocol":"user.id":"event.created":"email.subject":',
  '"email.to.address":"email.from.address":"email.message_id":"event.outcome":"event.action":',
  '"host.name":"url.full":"url.domain":"source.geo.country_iso_code":"event.category":"source.ip":',
  '"user.name":',
  // Enum values.
  '"informational""low""medium""high""critical""email""identity""endpoint""network"',
  '"ip""domain""url""file_hash""file_name""user""host""message_id""process"',
  '"credential_phishing""malware_delivery""bec""callback_phishing""spam""graymail""phishing_simulation"',
  '"account_takeover""mfa_fatigue""impossible_travel""credential_dumping""malicious_execution"',
  '"admin_activity""scanner_activity""benign_notification""other"',
  '"quarantine_message""block_sender""block_domain""block_url""block_ip""remove_inbox_rule"',
  '"revoke_sessions""reset_password""disable_user""isolate_host""kill_process""delete_mailbox"',
  '"notify_reporter""close_case""escalate""message""mailbox""sender""case"',
  '"executed""dry_run""pending_approval""denied""failed""allow""require_approval""deny"',
  '"investigating""awaiting_approval""closed""success""failure""mfa_denied""mfa_timeout""mfa_approved"',
  '"none""harmless""unknown""signin""proxy""dns""mail""audit""eq""neq""in""contains""gte""lte"',
  '"reporter""recipient""mentioned""malicious""suspicious""benign""lab"',
  // Tool names.
  '"siem_search""edr_get_host""edr_process_tree""edr_list_detections""mail_list_inbox_rules"',
  '"identity_sign_ins""identity_get_user""mail_find_messages""mail_get_message""intel_lookup""alert_source"',
  // Key names of the schemas, the most common last.
  '"unconfirmedMalicious":"confirmedMalicious":"confirmedBenign":"analystDisposition":"alertType":',
  '"seenInCases":"sharedObservables":"supersededBy":"idempotencyKey":"actionIds":"comment":"approved":',
  '"remotePort":"remoteIp":"remoteDomain":"connections":"processes":"rootId":"processId":"parentId":',
  '"pid":"image":"commandLine":"signer":"sha256":"startedAt":"hostname":"os":"isolated":"lastSeen":',
  '"owner":"listed":"score":"outcome":"conditions":"fromContains":"forwardTo":"moveToFolder":',
  '"deleteMessage":"enabled":"name":"riskLevel":"deviceCompliant":"userAgent":"app":"city":"country":',
  '"userPrincipalName":"displayName":"department":"jobTitle":"accountEnabled":"usualCountries":',
  '"mfaMethods":"observable":"verdict":"sources":"tags":"messageId":"from":"subject":"receivedAt":',
  '"folder":"isRead":"raw":"timestamp":"dataset":"fields":"where":"field":"op":"value":"limit":"to":',
  '"calls":"promptTokens":"completionTokens":"prompts":"model":"findingIds":"maliciousProbability":',
  '"incomplete":{"failedTools":["reasons":["params":{},"blastRadius":"targetTags":[],"targetKind":"',
  '{"caseId":"alertId":"status":"dryRun":true,"alert":{"id":"source":"family":"type":"title":',
  '"description":"severity":"createdAt":"observables":[{"type":"value":"role":"',
  '"verdict":{"disposition":"confidence":"severity":"category":"attack":[],"summary":"rationale":["',
  '"evidenceIds":["reasoner":"offline","findings":[{"id":"title":"detail":"weight":"evidenceIds":["',
  '"evidence":[{"id":"ev-alert","tool":"args":{"id":"summary":"cited":false},"steps":[{"round":"tool":"',
  '"args":{"evidenceId":"ev-"ok":true,"summary":"durationMs":}],"related":[],"actions":[{"id":"act-',
  '"type":"target":"targetKind":"reason":"blastRadius":"targetTags":[],"decision":"rule":"policyReason":"',
  '"approvers":[],"status":"detail":"},"approval":null,"notes":[]}',
];

/** Preset dictionary of packing format v1. */
export const PACK_DICTIONARY_V1: Buffer = Buffer.from(VOCABULARY_V1.join(""), "utf8");
