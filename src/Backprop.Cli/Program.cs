using System.Runtime.InteropServices;
using Backprop.Cli;
using Backprop.Cli.Commands;

// Ctrl+C (SIGINT) or SIGTERM asks the running command to stop between batches, keeping its last checkpoint;
// a second one ends the process at once.
using var cts = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (cts.IsCancellationRequested) return;
    context.Cancel = true;
    Console.Error.WriteLine("stopping after this batch (press Ctrl+C again to quit now)");
    cts.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
var live = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
return await BackpropApp.RunAsync(args, CliConsole.Create(Console.Out, Console.Error, live), cts.Token);
