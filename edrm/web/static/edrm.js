// Starts the GOV.UK Frontend components (menus, accordions, error summaries).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
