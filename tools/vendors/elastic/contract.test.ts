import { describeAlertSourceContract } from "../../contracts/alert-source.contract.ts";
import { describeSiemContract } from "../../contracts/siem.contract.ts";
import { contractSetup } from "./testing/setup.ts";

describeAlertSourceContract("elastic (Kibana detection alerts)", contractSetup("alerts"));
describeAlertSourceContract(
  "elastic (Kibana, one alert per page)",
  contractSetup("alerts", { alertPageSize: 1 }),
);
describeSiemContract("elastic (query DSL)", contractSetup("siem"));
describeSiemContract("elastic (query DSL, point-in-time pages of 1)", contractSetup("siem", { pageSize: 1 }));
describeSiemContract("elastic (ES|QL async)", contractSetup("siem", { language: "esql" }));
describeSiemContract("elastic (ES|QL sync)", contractSetup("siem", { language: "esql", esqlAsync: false }));
