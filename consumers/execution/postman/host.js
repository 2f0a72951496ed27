// Runs Postman scripts in Postman's own runtime (the postman-sandbox package that Postman and
// newman use), for the Python execution consumer that sends the requests itself.
//
// Protocol: one JSON object per line on stdin and stdout.
//   in:  {"type": "execute", "id": "...", "listen": "prerequest"|"test", "source": "...",
//         "context": {request, response, environment, globals, collectionVariables, _variables}, "timeout": ms}
//   out: {"type": "result", "id": "...", "error": null|"...", "assertions": [...], "scopes": {...},
//         "request": {...}, "console": [...], "skipped": bool}
//   out: {"type": "send", "id": "...", "event": "...", "request": {...}}   (pm.sendRequest, made by Python)
//   in:  {"type": "reply", "id": "...", "event": "...", "error": null|"...", "response": {...}}
// The first line written is {"type": "ready"} (or {"type": "failed", "error": "..."}).
'use strict';

const readline = require('readline');
const SCOPES = ['environment', 'globals', 'collectionVariables', '_variables'];

function write (message) {
    process.stdout.write(JSON.stringify(message) + '\n');
}

function flat (scope) {
    const values = {};

    ((scope && scope.values) || []).forEach((v) => {
        if (v && v.key !== undefined && !v.disabled) { values[v.key] = v.value; }
    });

    return values;
}

function scoped (values) {
    return { values: Object.keys(values || {}).map((key) => ({ key, value: values[key] })) };
}

function text (value) {
    if (typeof value === 'string') { return value; }
    if (value && typeof value === 'object' && value.message !== undefined) { // errors arrive as plain objects
        return (value.name && value.name !== 'Error' ? value.name + ': ' : '') + value.message;
    }
    try { return JSON.stringify(value); }
    catch (e) { return String(value); }
}

let Sandbox;

try {
    Sandbox = require(process.env.POSTMAN_SANDBOX_MODULE || 'postman-sandbox');
}
catch (err) {
    write({ type: 'failed', error: 'postman-sandbox could not be loaded: ' + err.message });
    process.exit(3);
}

Sandbox.createContext({ timeout: 30000 }, function (err, ctx) {
    if (err) {
        write({ type: 'failed', error: 'the Postman sandbox did not start: ' + text(err) });
        process.exit(3);
    }
    const running = new Map(); // execution id -> what its script said so far

    ctx.on('execution.assertion', function (cursor, assertions) {
        const run = running.get(cursor && cursor.execution);

        run && assertions.forEach((a) => run.assertions.push({
            name: String(a.name), passed: Boolean(a.passed), skipped: Boolean(a.skipped),
            error: a.error ? String(a.error.message || a.error.name || a.error) : null
        }));
    });
    ctx.on('console', function (cursor, level, ...args) {
        const run = running.get(cursor && cursor.execution);

        run && run.console.length < 50 && run.console.push({ level, text: args.map(text).join(' ').slice(0, 1000) });
    });
    function listen (id, run) { // the events of one execution are named after it
        const names = ['execution.request.' + id, 'execution.skipRequest.' + id, 'execution.cookies.' + id];

        ctx.on(names[0], function (cursor, executionId, eventId, request) {
            write({ type: 'send', id, event: eventId, request: request && request.toJSON ? request.toJSON() : request });
        });
        ctx.on(names[1], function () { run.skipped = true; });
        ctx.on(names[2], function (eventId) { // the cookie jar lives in Postman's app, not here
            ctx.dispatch(names[2], eventId, 'pm.cookies.jar() is not available: read cookies with pm.cookies.get()');
        });

        return () => names.forEach((name) => ctx.removeAllListeners(name));
    }

    function execute (message) {
        const run = { assertions: [], console: [], skipped: false };
        const context = Object.assign({}, message.context);

        SCOPES.forEach((name) => { context[name] = scoped((message.context || {})[name]); });
        running.set(message.id, run);
        const forget = listen(message.id, run);
        ctx.execute({ listen: message.listen, script: { exec: String(message.source).split('\n') } }, {
            id: message.id,
            cursor: { execution: message.id },
            context,
            timeout: message.timeout || 10000
        }, function (error, result) {
            running.delete(message.id);
            forget();
            const scopes = {};

            SCOPES.forEach((name) => { scopes[name] = flat(result && result[name]); });
            write({
                type: 'result', id: message.id, error: error ? text(error) : null, assertions: run.assertions,
                scopes, request: result && result.request ? result.request : null, console: run.console,
                skipped: run.skipped
            });
        });
    }

    readline.createInterface({ input: process.stdin }).on('line', function (line) {
        let message;

        try { message = JSON.parse(line); }
        catch (e) { return write({ type: 'result', id: null, error: 'not JSON: ' + e.message }); }
        if (message.type === 'execute') { return execute(message); }
        if (message.type === 'reply') {
            ctx.dispatch('execution.response.' + message.id, message.event,
                message.error ? new Error(message.error) : null, message.response || null);
        }
    }).on('close', function () {
        ctx.dispose();
        process.exit(0);
    });
    write({ type: 'ready' });
});
