using System.Diagnostics;
using System.Text.Json;
using Backprop.Native;

namespace Backprop.Tests.Cli;

/// <summary>Runs the console runner, <c>backprop</c>, as a process, the way a user does.</summary>
public sealed class RunnerProcessTests
{
    private static (int Code, string Out, string Err) Run(IDictionary<string, string>? env, params string[] args)
    {
        var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<config>/net10.0
        var dll = Path.Combine(Repo.Root, "src", "Backprop.Cli", "bin", config, "net10.0", "backprop.dll");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "backprop did not finish in 5 minutes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Gradcheck_passes_and_writes_every_row_as_json()
    {
        using var dir = new TempDir();

        var (code, stdout, _) = Run(null, "gradcheck", "--json", dir.File("rows.json"));

        Assert.Equal(0, code);
        Assert.Contains("gradients match", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("rows.json")));
        Assert.True(doc.RootElement.GetProperty("all_pass").GetBoolean());
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("component").GetString(), r.GetProperty("tensor").GetString())).ToHashSet();
        foreach (var component in new[] { "functions", "classes", "module" })
            foreach (var tensor in new[] { "x", "w1", "b1", "w2", "b2" })
                Assert.Contains((component, tensor), rows);
    }

    [Fact]
    public void Train_runs_the_lessons_final_stage_to_a_good_model()
    {
        var (code, stdout, stderr) = Run(null, "train");

        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 5 && int.TryParse(f[0], out _)).ToArray();
        Assert.Equal(5, rows.Length);
        Assert.InRange(double.Parse(rows[^1][3], System.Globalization.CultureInfo.InvariantCulture), 0.96, 1.0);
    }

    [Fact]
    public void An_unknown_command_prints_usage_and_exits_2()
    {
        var (code, _, stderr) = Run(null, "fly");

        Assert.Equal(2, code);
        Assert.Contains("usage: backprop train", stderr);
    }

    [Fact]
    public void With_a_cold_native_cache_the_runner_writes_the_patched_copy_there()
    {
        TorchNative.EnsureLoaded();
        using var cache = new TempDir();

        var (code, _, stderr) = Run(new Dictionary<string, string> { ["BACKPROP_NATIVE_CACHE"] = cache.Path }, "fly");

        Assert.Equal(2, code); // native load happened first and succeeded; only the command was wrong
        Assert.DoesNotContain("TorchSharp", stderr);
        var copies = Directory.GetFiles(cache.Path, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.Equal(TorchNative.PatchedPath is null ? 0 : 1, copies.Length);
    }
}
