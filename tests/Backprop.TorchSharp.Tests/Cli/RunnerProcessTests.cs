using System.Text.Json;
using Backprop.Native;
using Mono.Unix.Native;

namespace Backprop.Tests.Cli;

/// <summary>Runs the console runner, <c>backprop</c>, as a process, the way a user does.</summary>
[Trait("Category", "Process")]
public sealed class RunnerProcessTests
{
    private static (int Code, string Out, string Err) Run(IReadOnlyDictionary<string, string?>? env, params string[] args) =>
        ChildProcess.Run("dotnet", [Repo.RunnerDll, .. args], TimeSpan.FromMinutes(5), env);

    [Fact]
    public void Gradcheck_passes_and_writes_every_row_as_json()
    {
        using var dir = new TempDir();

        var (code, stdout, _) = Run(null, "gradcheck", "--json", dir.File("rows.json"));

        Assert.Equal(0, code);
        Assert.Contains("gradients match", stdout);
        Assert.Matches(@" \d\.\d\de-\d\d ", stdout); // PyTorch's e-notation in the table
        Assert.DoesNotMatch(@"E[-+]\d{3}", stdout); // not .NET's 3.05E-005
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("rows.json")));
        Assert.True(doc.RootElement.GetProperty("all_pass").GetBoolean());
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("component").GetString(), r.GetProperty("tensor").GetString())).ToHashSet();
        foreach (var component in new[] { "functions", "classes", "module" })
            foreach (var tensor in new[] { "x", "w1", "b1", "w2", "b2" })
                Assert.Contains((component, tensor), rows);
    }

    [Fact]
    public void Train_runs_the_lessons_final_stage_to_a_good_model_with_plain_lines_when_redirected()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run(null, "train", "--out", dir.Path);

        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("\u001b[", stdout); // no cursor control or colour in a log
        var rows = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 5 && f[0].EndsWith("/5", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["1/5", "2/5", "3/5", "4/5", "5/5"], rows.Select(r => r[0]));
        Assert.InRange(double.Parse(rows[^1][3], System.Globalization.CultureInfo.InvariantCulture), 0.96, 1.0);
        foreach (var file in new[] { "checkpoint.ckpt", "metrics.jsonl", "curves.png", "top_losses.png" })
            Assert.True(File.Exists(dir.File(file)), file);
        Assert.Equal(0, Run(null, "evaluate", dir.File("checkpoint.ckpt")).Code);
    }

    [Fact]
    public void Relative_paths_are_reported_absolute_and_a_one_epoch_resume_says_which_epoch_it_trained()
    {
        using var dir = new TempDir();
        (int Code, string Out, string Err) Here(params string[] args) =>
            ChildProcess.Run("dotnet", [Repo.RunnerDll, .. args], TimeSpan.FromMinutes(5), new Dictionary<string, string?> { ["CI"] = "1" }, cwd: dir.Path);

        var first = Here("train", "--epochs", "1", "--hidden", "10", "--out", "runs/wide", "--metrics", "wide.jsonl");
        var resumed = Here("train", "--resume", "runs/wide/checkpoint.ckpt", "--epochs", "2");

        Assert.True(first.Code == 0, first.Err);
        Assert.True(resumed.Code == 0, resumed.Err);
        foreach (var output in new[] { first.Out, resumed.Out })
        {
            Assert.Contains($"run folder: {dir.File("runs/wide")}", output); // as --resume's folder is: from the root, not as typed
            var wrote = output.Split('\n').Where(l => l.StartsWith("wrote ", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(wrote);
            Assert.All(wrote, l => Assert.StartsWith($"wrote {dir.Path}/", l));
        }
        Assert.Contains($"wrote {dir.File("wide.jsonl")}", first.Out);
        Assert.Matches(@"s of training in this run \(epoch 2\)\n", resumed.Out); // not "(epochs 2-2)"
    }

    [Fact]
    public void A_misspelt_command_says_what_was_meant_points_to_help_and_exits_2()
    {
        var (code, stdout, stderr) = Run(null, "trian");

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal("error: unknown command 'trian'; did you mean 'train'?", lines[0]);
        Assert.Matches(@"^Run 'dotnet \S*backprop\.dll --help' for the commands and options\.$", lines[1]); // a command to paste, as the user started it
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public void A_stop_signal_ends_the_run_after_the_epoch_s_checkpoint_and_says_how_to_resume()
    {
        using var dir = new TempDir();
        using var p = ChildProcess.StartRunner("train", "--epochs", "100", "--out", dir.Path);
        p.WaitUntil(() => File.Exists(dir.File("metrics.jsonl")), TimeSpan.FromMinutes(3));
        Assert.False(p.HasExited, "backprop ended before its first epoch was saved");

        // SIGTERM, handled as Ctrl+C's SIGINT is: a test host started in the background may inherit SIGINT as ignored.
        p.Signal(Signum.SIGTERM);

        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "backprop did not stop after SIGTERM");
        Assert.True(p.ExitCode == 130, $"exit code {p.ExitCode}: {p.Err}");
        Assert.Contains($"--resume {dir.File("checkpoint.ckpt")}", p.Err);
        var epochs = Backprop.Cli.Runs.CheckpointFile.Load(dir.File("checkpoint.ckpt")).Epochs;
        Assert.InRange(epochs, 1, 99);
        Assert.Equal(epochs, File.ReadAllLines(dir.File("metrics.jsonl")).Length);
        Assert.True(File.Exists(dir.File("curves.png")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void With_a_cold_native_cache_the_runner_writes_the_patched_copy_there()
    {
        TorchNative.EnsureLoaded();
        using var cache = new TempDir();

        var (code, _, stderr) = Run(new Dictionary<string, string?> { ["BACKPROP_NATIVE_CACHE"] = cache.Path }, "fly");

        Assert.Equal(2, code); // native load happened first and succeeded; only the command was wrong
        Assert.DoesNotContain("libLibTorchSharp", stderr);
        Assert.DoesNotContain("GLIBCXX", stderr);
        var copies = Directory.GetFiles(cache.Path, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.Equal(TorchNative.PatchedPath is null ? 0 : 1, copies.Length);
    }
}
