using System.Runtime.InteropServices;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.Cli.Display;

// Ctrl+C (SIGINT), SIGTERM or SIGHUP (the terminal went away): inside train's batch loop (or a download) the first one asks the command to stop at the next
// batch, keeping its last checkpoint; anywhere else, or a second time, the process ends now with exit code 130.
if (!StandardStreams.Writable(2)) Console.SetError(TextWriter.Null); // never into whatever took descriptor 2's number
if (!StandardStreams.Writable(1))
{
    Console.Error.WriteLine("error: standard output is closed (>&-), so backprop has nowhere to write; send it to a file or to /dev/null instead (>/dev/null).");
    return ExitCodes.Failed;
}
using var cts = new CancellationTokenSource();
var live = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
// train's live display says "stopping" itself: a line written under it would break its redraw (a doubled header).
var quiet = live && args.FirstOrDefault() == "train";
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    if (!cts.IsCancellationRequested && StopSignal.IsGraceful)
    {
        if (!quiet) Console.Error.WriteLine("stopping after this batch (press Ctrl+C again to quit now)");
        cts.Cancel();
        return;
    }
    Console.Error.WriteLine("interrupted");
    ControlEcho.Restore(); // the terminal as the live display found it
    StopSignal.ExitNow(); // removes temporary files first
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop); // its default action would skip the temporary files' removal
return await BackpropApp.RunAsync(args, CliConsole.Create(Console.Out, Console.Error, live), pinKernels: true, cts.Token);
