using System.Runtime.InteropServices;
using Backprop.Cli;
using Backprop.Cli.Commands;

// Ctrl+C (SIGINT) or SIGTERM asks the running command to stop between batches, keeping its last checkpoint;
// a second one ends the process at once.
using var cts = new CancellationTokenSource();
var live = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
// train's live display says "stopping" itself: a line written under it would break its redraw (a doubled header).
var quiet = live && args.FirstOrDefault() == "train";
void Stop(PosixSignalContext context)
{
    if (cts.IsCancellationRequested) return;
    context.Cancel = true;
    if (!quiet) Console.Error.WriteLine("stopping after this batch (press Ctrl+C again to quit now)");
    cts.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await BackpropApp.RunAsync(args, CliConsole.Create(Console.Out, Console.Error, live), cts.Token);
