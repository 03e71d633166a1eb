using System.CommandLine;
using Backprop.Cli.DataFiles;
using Backprop.Cli.Runs;
using Backprop.Data;
using Backprop.Native;

namespace Backprop.Cli.Commands;

/// <summary>The <c>backprop</c> command line: parse, run one command, turn what went wrong into a message and an exit code.</summary>
public static class BackpropApp
{
    /// <summary>Runs the command line <paramref name="args"/> in a process that has already run torch (a test): the CPU kernels stay as they are.</summary>
    /// <returns>An <see cref="ExitCodes"/> value: 0 done, 1 a problem the message explains, 2 a bad command line, 130 interrupted.</returns>
    public static Task<int> RunAsync(string[] args, CliConsole io, CancellationToken cancel = default) => RunAsync(args, io, pinKernels: false, cancel);

    /// <summary>Runs the command line <paramref name="args"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="io">Where the command writes.</param>
    /// <param name="pinKernels">Pin the CPU kernels first (<see cref="CpuKernelsOption"/>): the process's entry point, before any torch operator.</param>
    /// <param name="cancel">Ctrl+C.</param>
    /// <returns>An <see cref="ExitCodes"/> value: 0 done, 1 a problem the message explains, 2 a bad command line, 130 interrupted.</returns>
    public static async Task<int> RunAsync(string[] args, CliConsole io, bool pinKernels, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(io);
        var root = Root(io);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 || parsed.UnmatchedTokens.Count > 0) return Usage(parsed, io);
        try
        {
            if (pinKernels && NeedsTorch(parsed) && CpuKernelsOption.Pin(parsed, io) is { } refused) return refused;
            if (pinKernels && CommandName(parsed) == "info") PinForInfo(parsed, io);
            if (NeedsTorch(parsed)) TorchNative.EnsureLoaded(); // a clear TorchNativeException here, not TorchSharp's type initializer failing mid-command
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = io.Text, // only --help and --version write here (stdout, for | less); commands write through io
                Error = io.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUserError(e))
        {
            io.Error.WriteLine($"error: {e.Message}");
            if (e is DataFileException { File: var missing } && !File.Exists(missing) && Options.DataOf(parsed) is var (folder, given)) // data not found, rather than a damaged file
                io.Error.WriteLine(Options.NoDataAdvice(folder, given));
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Error.WriteLine($"error: backprop {CommandName(parsed)}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            return LastResort(CommandName(parsed), e, io);
        }
    }

    /// <summary>The last guard: one line that names the command and the problem, the whole trace in a file it names, exit 70.</summary>
    internal static int LastResort(string command, Exception e, CliConsole io)
    {
        var trace = Path.Combine(Path.GetTempPath(), $"backprop-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.txt");
        string where;
        try
        {
            File.WriteAllText(trace, $"backprop {command}\n{e}\n");
            where = $"the trace is in {trace}";
        }
        catch (Exception w) when (w is IOException or UnauthorizedAccessException)
        {
            where = $"the trace could not be written to {trace} ({w.Message})";
        }
        io.Error.WriteLine($"error: backprop {command} failed unexpectedly: {e.GetType().Name}: {e.Message} ({where}; please report it)");
        return ExitCodes.Internal;
    }

    // info shows the kernels the other commands pin, and reports a native failure itself.
    private static void PinForInfo(ParseResult parsed, CliConsole io)
    {
        try
        {
            CpuKernelsOption.Pin(parsed, io);
        }
        catch (TorchNativeException)
        {
        }
    }

    // info reports a native failure itself; verify and download only read and write files; --help needs nothing.
    private static bool NeedsTorch(ParseResult parsed) =>
        parsed.Action is not System.CommandLine.Help.HelpAction && CommandName(parsed) is not ("" or "info" or "data" or "data verify" or "data download");

    private static string CommandName(ParseResult parsed) => string.Join(' ', UsageErrors.CommandPath(parsed.CommandResult));

    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Root(CliConsole io)
    {
        var root = new RootCommand("backprop: fast.ai's backprop lessons (03 and 04) on TorchSharp. Train, evaluate and check MNIST models.")
        {
            TrainCommand.Create(io),
            EvaluateCommand.Create(io),
            ExportCommand.Create(io),
            PredictCommand.Create(io),
            GradCheckCommand.Create(io),
            DataCommand.Create(io),
            BenchCommand.Create(io),
            InfoCommand.Create(io),
        };
        root.SetAction(_ =>
        {
            // No command at all: the list of commands is the answer, so the help is shown whole.
            io.Error.WriteLine("error: no command given");
            io.Error.WriteLine();
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = io.Error, Error = io.Error });
            return ExitCodes.Usage;
        });
        UsageErrors.Own(root);
        return root;
    }

    // A bad command line: the errors first, with "did you mean", then one line that points to --help (not the help itself).
    private static int Usage(ParseResult parsed, CliConsole io)
    {
        foreach (var line in UsageErrors.Describe(parsed)) io.Error.WriteLine(line);
        return ExitCodes.Usage;
    }

    /// <summary>Errors the user can act on, whose messages say what to do: printed without a stack trace.</summary>
    private static bool IsUserError(Exception e) => e is TorchNativeException or DataFileException or DeviceChoiceException
        or DownloadException or CheckpointException or TrainSettingsException or RunFolderException or ArgumentOutOfRangeException;
}
