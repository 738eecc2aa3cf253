/**
 * The dashboard's entry: renders the app into the page.
 *
 * @module
 */
import { render } from "preact";
import { App } from "./app.js";
import "./styles.css";

render(<App />, document.getElementById("app")!);
