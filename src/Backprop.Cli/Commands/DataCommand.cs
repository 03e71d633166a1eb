using System.CommandLine;
using System.Globalization;
using Backprop.Cli.DataFiles;
using Backprop.Cli.Display;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop data info|verify|download</c>: what the data holds, whether it is intact, and fetching the course's file.</summary>
internal static class DataCommand
{
    public static Command Create(CliConsole io)
    {
        var info = new Command("info", "Load MNIST and show its splits: shapes, types, pixel range, images per digit") { Options.Data() };
        info.SetAction(p => Info(io, p.GetValue<string>("--data")!));
        var verify = new Command("verify", "Check the data files' SHA-256 against the known values") { Options.Data() };
        verify.SetAction(p => Verify(io, p.GetValue<string>("--data")!));
        var download = new Command("download", "Download the course's mnist.pkl.gz into the data folder (checked by its size and git blob id; no SHA-256 is published for it)") { Options.Data() };
        download.SetAction((p, cancel) => Download(io, p.GetValue<string>("--data")!, cancel));
        return new Command("data", "MNIST: info, verify, download") { info, verify, download };
    }

    private static int Info(CliConsole io, string dir)
    {
        var info = MnistFiles.Info(dir);
        io.Out.WriteLine($"source: {info.Source}");
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "split", "x", "y", "pixels" }) table.AddColumn(c);
        table.AddColumn("images per digit 0-9");
        foreach (var s in info.Splits)
            table.AddRow(s.Name, $"({string.Join(", ", s.XShape)}) {s.XType}", $"({string.Join(", ", s.YShape)}) {s.YType}",
                $"{s.XMin.ToString("G6", CultureInfo.InvariantCulture)} to {s.XMax.ToString("G6", CultureInfo.InvariantCulture)}", string.Join(" ", s.LabelCounts));
        io.Out.Write(table);
        return ExitCodes.Ok;
    }

    private static int Verify(CliConsole io, string dir)
    {
        var checks = MnistFiles.Verify(dir);
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "file", "status", "detail" }) table.AddColumn(c);
        foreach (var c in checks)
            table.AddRow(Markup.Escape(c.Path), c.IsOk ? "ok" : $"[red]{c.Status.ToString().ToLowerInvariant()}[/]", Markup.Escape(c.Detail));
        io.Out.Write(table);
        var bad = checks.Count(c => !c.IsOk);
        if (bad == 0)
        {
            io.Out.WriteLine($"all {checks.Count} files check out");
            return ExitCodes.Ok;
        }
        io.Error.WriteLine($"error: {bad} of {checks.Count} files are missing or damaged; restore data/mnist/ from the repository (git checkout -- data/mnist) or run backprop data download");
        return ExitCodes.Failed;
    }

    private static async Task<int> Download(CliConsole io, string dir, CancellationToken cancel)
    {
        var progress = new ProgressLine(io.Error);
        using var graceful = StopSignal.Graceful();
        using var echo = ControlEcho.Suppress(); // no "^C" over the progress line
        DownloadResult result;
        try
        {
            result = await MnistDownload.DownloadAsync(dir, progress, cancel).ConfigureAwait(false);
        }
        finally
        {
            progress.End();
        }
        io.Out.WriteLine(result.Downloaded
            ? $"downloaded {result.Path} ({result.Size:N0} bytes, SHA-256 {result.Sha256})"
            : $"{result.Path} is already there and checks out");
        return ExitCodes.Ok;
    }

    // Reported on the downloading thread (unlike Progress<T>, which posts), so that End's newline comes after the last figure.
    private sealed class ProgressLine(TextWriter error) : IProgress<DownloadProgress>
    {
        private bool _shown;

        public void Report(DownloadProgress p)
        {
            error.Write($"\r{p.BytesDone / 1e6,6:F1} of {p.TotalBytes / 1e6:F1} MB");
            _shown = true;
        }

        public void End()
        {
            if (_shown) error.WriteLine(); // what follows starts on a line of its own
        }
    }
}
