using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Backprop.Cli.DataFiles;
using Spectre.Console;
using Backprop.Native;
using TorchSharp;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop info</c>: the environment a bug report needs, one <c>name: value</c> line each.</summary>
internal static class InfoCommand
{
    public static Command Create(CliConsole io)
    {
        var data = Options.Data();
        var command = new Command("info", "Show backprop, .NET, TorchSharp and libtorch versions, the native loader's status, CPU threads, CUDA and the data folder (for bug reports)") { data };
        command.SetAction(p => Run(io, p.GetValue(data)!, given: p.GetResult(data) is { Implicit: false }));
        return command;
    }

    /// <summary>The lines of <c>backprop info</c>: what works and, for what does not (torch not loading, no data), what is missing.</summary>
    /// <param name="dataDir">The data folder, absolute.</param>
    /// <param name="given">Whether <c>--data</c> named it (else its default found it, or found nothing).</param>
    public static IReadOnlyList<(string Name, string Value)> Collect(string dataDir, bool given)
    {
        var lines = new List<(string, string)>
        {
            ("backprop", Version(typeof(InfoCommand).Assembly)),
            (".NET", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}) on {RuntimeInformation.OSDescription}"),
            ("TorchSharp", Version(typeof(torch).Assembly)),
            ("libtorch", LibTorchPackages()),
        };
        try
        {
            TorchNative.EnsureLoaded();
            lines.Add(("native loader", TorchNative.Status));
            lines.Add(("native patched", TorchNative.PatchedPath is { } patched ? $"yes, {patched}" : "no"));
            lines.Add(("native libraries", LoadedFrom()));
            lines.Add(("CPU threads", $"torch {torch.get_num_threads()} intra-op (train and bench use --threads, default 1); {Environment.ProcessorCount} processors"));
            lines.Add(("CPU kernels", CpuKernels.Current.ToString()));
            var cuda = torch.cuda.is_available();
            lines.Add(("CUDA", cuda ? $"available, {torch.cuda.device_count()} device(s) (cuda:0 to cuda:{torch.cuda.device_count() - 1}), cuDNN {(torch.cuda.is_cudnn_available() ? "available" : "not available")}"
                : "not available (this build's libtorch is CPU-only, or no CUDA device and driver; build with -p:TorchBackend=cuda for CUDA)"));
        }
        catch (TorchNativeException e)
        {
            lines.Add(("native loader", $"FAILED: {e.Message.ReplaceLineEndings(" ")}"));
        }
        var found = Directory.Exists(dataDir) || File.Exists(dataDir);
        lines.Add(("data folder", found ? dataDir : $"{(given ? $"{dataDir} not found" : "none found")}. {Options.NoDataAdvice(dataDir, given)}"));
        var checks = MnistFiles.Verify(dataDir);
        var bad = checks.Where(c => !c.IsOk).ToList();
        lines.Add(("data verifies", !found ? "no: no data folder"
            : bad.Count == 0 ? $"yes, all {checks.Count} files"
            : $"no: {string.Join("; ", bad.Select(c => $"{c.Name} {c.Status.ToString().ToLowerInvariant()}"))} (see backprop data verify)"));
        return lines;
    }

    // Always exit 0: the command for bug reports reports what is missing rather than failing for it.
    private static int Run(CliConsole io, string dataDir, bool given)
    {
        var lines = Collect(dataDir, given);
        var width = lines.Max(l => l.Name.Length) + 1;
        foreach (var (name, value) in lines) io.Out.WriteLine($"{(name + ":").PadRight(width)} {value}");
        return ExitCodes.Ok;
    }

    private static string Version(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "unknown";

    // The libtorch packages this build was made with, as its deps.json records them.
    private static string LibTorchPackages()
    {
        var deps = Path.Combine(AppContext.BaseDirectory, "backprop.deps.json");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(deps));
            var names = doc.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name)
                .Where(n => n.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase)).ToList();
            return names.Count == 0 ? "no libtorch package in backprop.deps.json" : string.Join(", ", names);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or UnauthorizedAccessException)
        {
            return $"unknown ({deps}: {e.Message})";
        }
    }

    // Where the process actually loaded LibTorchSharp and libtorch_cpu from (Linux: /proc/self/maps).
    private static string LoadedFrom()
    {
        try
        {
            var paths = File.ReadLines("/proc/self/maps").Select(l => l.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? l[i..] : "")
                .Where(p => Path.GetFileName(p) is "libLibTorchSharp.so" or "libtorch_cpu.so" or "libtorch_cuda.so").Distinct().ToList();
            return paths.Count == 0 ? "none mapped" : string.Join(", ", paths);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown on this system";
        }
    }
}
