using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.Cli.Runs;

namespace Backprop.Tests.Cli;

/// <summary>The runner's commands called in-process, with their output captured.</summary>
[Collection(MnistGroup.Name)]
public sealed class BackpropAppTests(TrainedRun run)
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = BackpropApp.RunAsync(args, CliConsole.Create(stdout, stderr, live: false)).GetAwaiter().GetResult();
        var err = stderr.ToString();
        Assert.DoesNotContain("   at ", err); // never a stack trace
        return (code, stdout.ToString(), err);
    }

    [Theory]
    [InlineData("fly")]
    [InlineData("train", "--epoch", "3")]
    [InlineData("train", "--epochs", "0")]
    [InlineData("train", "--epochs", "many")]
    [InlineData("train", "--lr", "-1")]
    [InlineData("train", "--batch-size", "0")]
    [InlineData("train", "--loss", "hinge")]
    [InlineData("train", "--gradients", "numeric")]
    [InlineData("train", "--device", "gpu")]
    [InlineData("evaluate")]
    [InlineData("data", "shred")]
    [InlineData("bench", "--epochs", "0")]
    [InlineData("bench", "--samples", "10")]
    [InlineData("bench", "--batch-sizes", "50", "0")]
    [InlineData("bench", "--check-targets", "--epochs", "5")]
    [InlineData("bench", "--sweep", "--check-targets")]
    public void A_bad_command_line_prints_the_error_then_a_pointer_to_help_and_exits_2(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(ExitCodes.Usage, code);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.StartsWith("error: ", lines[0]);
        Assert.All(lines[..^1], l => Assert.StartsWith("error: ", l));
        Assert.Matches(@"^Run '.* --help' for the (commands and )?options\.$", lines[^1]); // one line, not the help itself
        Assert.DoesNotContain("Usage:", stderr);
        Assert.Empty(stdout);
    }

    [Theory]
    [InlineData("error: unknown command 'trian'; did you mean 'train'?", "trian")]
    [InlineData("error: unknown command 'evalute'; did you mean 'evaluate'?", "evalute", "run/checkpoint.ckpt")]
    [InlineData("error: unknown option '--epoch' for 'train'; did you mean '--epochs'?", "train", "--epoch", "3")]
    [InlineData("error: unknown option '--Epochs' for 'train'; did you mean '--epochs'?", "train", "--Epochs", "3")]
    [InlineData("error: unknown option '--ep' for 'train'; did you mean '--epochs'?", "train", "--ep", "3")]
    [InlineData("error: unexpected argument 'epochs' for 'train'; did you mean '--epochs'?", "train", "epochs", "3")]
    [InlineData("error: unknown option '--splt' for 'evaluate'; did you mean '--split'?", "evaluate", "x.ckpt", "--splt", "valid")]
    [InlineData("error: unknown command 'verfy' for 'data'; did you mean 'verify'?", "data", "verfy")]
    [InlineData("error: unknown command 'help'; did you mean '--help'?", "help")]
    [InlineData("error: unknown command 'version'; did you mean '--version'?", "version")]
    [InlineData("error: unknown command 'fly'; the commands are train, evaluate, export, predict, gradcheck, data, bench and info", "fly")]
    [InlineData("error: unknown command 'shred' for 'data'; the commands are info, verify and download", "data", "shred")]
    [InlineData("error: 'data' needs a command: info, verify or download", "data")]
    [InlineData("error: unknown option '-x' for 'train'", "train", "-x")]
    public void A_typo_gets_one_error_with_what_was_meant(string error, params string[] args)
    {
        var (code, _, stderr) = Run(args);

        Assert.Equal(ExitCodes.Usage, code);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length); // the value after an unknown option, or the words after an unknown command, are not errors of their own
        Assert.Equal(error, lines[0]);
        var command = args[0] is "data" or "train" or "evaluate" ? args[0] + " " : "";
        Assert.EndsWith($" {command}--help' for the {(args[0] == "data" || command == "" ? "commands and " : "")}options.", lines[1]);
    }

    [Theory]
    [InlineData("cross_entropy", "train", "--loss", "cross-entropy")]
    [InlineData("manual", "train", "--gradients", "manuel")]
    [InlineData("test", "evaluate", "x.ckpt", "--split", "tset")]
    public void A_misspelt_choice_is_refused_on_one_line_with_what_was_meant(string meant, params string[] args)
    {
        var (code, _, stderr) = Run(args);

        Assert.Equal(ExitCodes.Usage, code);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length); // the choices share the error's line
        Assert.EndsWith($"; did you mean '{meant}'?", lines[0]);
    }

    [Fact]
    public void No_command_prints_the_commands_and_exits_2()
    {
        var (code, _, stderr) = Run();

        Assert.Equal(ExitCodes.Usage, code);
        foreach (var command in new[] { "train", "evaluate", "gradcheck", "data" }) Assert.Contains(command, stderr);
    }

    [NoCudaFact]
    public void Cuda_without_cuda_says_how_to_get_it_and_exits_1()
    {
        using var dir = new TempDir();

        var (code, _, stderr) = Run("train", "--device", "cuda", "--out", dir.Path);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("needs CUDA", stderr);
        Assert.Contains("-p:TorchBackend=cuda", stderr);
    }

    [Fact]
    public void Missing_data_says_where_it_looked_and_how_to_get_it()
    {
        using var dir = new TempDir();

        var (code, _, stderr) = Run("train", "--data", dir.File("none"), "--out", dir.File("run"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains(dir.File("none"), stderr);
        Assert.Contains("Check the path given to --data", stderr);
        Assert.DoesNotContain("pass --data DIR", stderr); // it was passed
        Assert.Contains($" data download --data {dir.File("none")}`", stderr);
    }

    [Fact]
    public void Missing_data_by_default_names_every_place_looked_in_as_absolute_paths()
    {
        var advice = Options.NoDataAdvice(Path.GetFullPath("data"), given: false, variable: null, current: "somewhere/below", appBase: "/opt/backprop/");

        Assert.Contains("$BACKPROP_DATA is not set", advice);
        Assert.Contains($"from {Path.GetFullPath("somewhere/below")} upwards", advice);
        Assert.Contains("from /opt/backprop (the program's) upwards", advice);
        Assert.Contains("pass --data DIR", advice);
        Assert.Contains($" data download --data {Path.GetFullPath("data")}`", advice);

        var named = Options.NoDataAdvice("/srv/mnist", given: false, variable: "/srv/mnist", current: "/", appBase: "/");
        Assert.StartsWith("$BACKPROP_DATA names /srv/mnist: point it at the folder that holds mnist/", named);
    }

    [Fact]
    public void An_unwritable_out_fails_before_training()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("file"), "");

        var (code, stdout, stderr) = Run("train", "--out", dir.File("file"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("cannot write to the output folder", stderr);
        Assert.DoesNotContain("epoch", stdout);
    }

    [Fact]
    public void A_diverging_run_stops_keeps_the_last_good_checkpoint_and_suggests_a_lower_lr()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run("train", "--epochs", "1", "--loss", "mse", "--out", dir.Path).Code);
        var good = File.ReadAllBytes(dir.File("checkpoint.ckpt"));

        var (code, _, stderr) = Run("train", "--resume", dir.File("checkpoint.ckpt"), "--lr", "1000", "--epochs", "3");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("diverged", stderr);
        Assert.Contains($"--lr {TrainOverrides.Name(100.0)}.", stderr);
        Assert.Equal(good, File.ReadAllBytes(dir.File("checkpoint.ckpt")));
    }

    [Fact]
    public void An_overwriting_run_that_diverges_before_its_first_epoch_leaves_the_other_run_as_it_was_and_claims_none_of_it()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run("train", "--epochs", "1", "--loss", "mse", "--out", dir.Path).Code);
        var before = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();

        var (code, stdout, stderr) = Run("train", "--out", dir.Path, "--overwrite", "--loss", "mse", "--lr", "1000", "--epochs", "2");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("the loss of epoch 1 is NaN", stderr);
        Assert.Contains($"this run saved no epoch, and the results already in {dir.Path} are as they were", stderr);
        Assert.DoesNotContain("wrote ", stdout);
        Assert.Equal(before, Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Order().Select(f => (f, File.ReadAllBytes(f))));
    }

    [Fact]
    public void Train_writes_metrics_as_json_lines_and_evaluate_accepts_its_checkpoint()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run("train", "--epochs", "2", "--hidden", "20", "--out", dir.File("run"), "--metrics", dir.File("m.jsonl"));

        Assert.True(code == 0, stderr);
        Assert.Contains("784-20-10", stdout);
        // The plain display: three quarter lines of training and one line halfway through validation per epoch, each with both ETAs.
        var progress = stdout.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  epoch \d+: ")).ToList();
        Assert.Equal(8, progress.Count);
        Assert.All(progress, l => Assert.Matches(@", ETA epoch \d+:\d\d, run \d+:\d\d$", l));
        Assert.Equal(["  epoch 1: validating, batch 50/100", "  epoch 2: validating, batch 50/100"],
            progress.Where(l => l.Contains("validating", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(", ETA", StringComparison.Ordinal)]));
        var lines = File.ReadAllLines(dir.File("m.jsonl"));
        Assert.Equal(2, lines.Length);
        foreach (var (line, i) in lines.Select((l, i) => (l, i)))
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(i + 1, doc.RootElement.GetProperty("epoch").GetInt32());
            Assert.InRange(doc.RootElement.GetProperty("valid_accuracy").GetDouble(), 0.85, 1);
            Assert.True(doc.RootElement.GetProperty("train_loss").GetDouble() > 0);
        }

        var (evalCode, evalOut, evalErr) = Run("evaluate", dir.File("run/checkpoint.ckpt"), "--png", dir.File("cm.png"));

        Assert.True(evalCode == 0, evalErr);
        var accuracy = evalOut.Split('\n').Single(l => l.StartsWith("test accuracy: ", StringComparison.Ordinal));
        Assert.InRange(double.Parse(accuracy.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture), 0.85, 1);
        Assert.Contains("confusion matrix", evalOut);
        Assert.Contains("10000", evalOut.Replace(",", "", StringComparison.Ordinal));
        Assert.Equal((byte)'P', File.ReadAllBytes(dir.File("cm.png"))[1]);

        var (badPng, badOut, badErr) = Run("evaluate", dir.File("run/checkpoint.ckpt"), "--png", dir.File("missing/cm.png"));

        Assert.Equal(ExitCodes.Failed, badPng);
        Assert.Contains("--png", badErr);
        Assert.Equal("", badOut); // refused before evaluating
    }

    [Fact]
    public void Evaluating_a_runs_checkpoint_and_its_exported_pt_keeps_both_confusion_pngs()
    {
        using var dir = new TempDir();
        run.CopyTo(dir.Path);
        Assert.Equal(0, Run("export", dir.File("checkpoint.ckpt"), "--format", "pt").Code); // checkpoint.pt beside checkpoint.ckpt

        var (ckpt, ckptOut, ckptErr) = Run("evaluate", dir.File("checkpoint.ckpt"));
        var (pt, ptOut, ptErr) = Run("evaluate", dir.File("checkpoint.pt"));

        Assert.True(ckpt == 0, ckptErr);
        Assert.True(pt == 0, ptErr);
        Assert.Contains($"wrote {dir.File("checkpoint.ckpt.confusion-test.png")}", ckptOut);
        Assert.Contains($"wrote {dir.File("checkpoint.pt.confusion-test.png")}", ptOut);
        foreach (var png in new[] { "checkpoint.ckpt.confusion-test.png", "checkpoint.pt.confusion-test.png" })
            Assert.Equal((byte)'P', File.ReadAllBytes(dir.File(png))[1]);
    }

    [Fact]
    public void Gradcheck_refuses_an_unwritable_json_path_before_checking_anything()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run("gradcheck", "--json", dir.File("missing/g.json"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("--json", stderr);
        Assert.Contains(dir.File("missing"), stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Evaluate_refuses_a_foreign_or_corrupt_checkpoint()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("foreign.ckpt"), "not a checkpoint");
        File.WriteAllBytes(dir.File("corrupt.ckpt"), [.. "backprop-checkpoint\n"u8.ToArray(), 1, 0, 0, 0, .. new byte[64]]);

        var (foreign, _, foreignErr) = Run("evaluate", dir.File("foreign.ckpt"));
        var (corrupt, _, corruptErr) = Run("evaluate", dir.File("corrupt.ckpt"));

        Assert.Equal(ExitCodes.Failed, foreign);
        Assert.Contains("not a backprop checkpoint", foreignErr);
        Assert.Equal(ExitCodes.Failed, corrupt);
        Assert.Contains("corrupt", corruptErr);
    }

    [Fact]
    public void Data_verify_and_info_describe_the_shipped_mnist()
    {
        var (verify, verifyOut, _) = Run("data", "verify", "--data", Repo.Data);
        var (info, infoOut, _) = Run("data", "info", "--data", Repo.Data);

        Assert.Equal(0, verify);
        Assert.Contains("all 4 files check out", verifyOut);
        Assert.Equal(0, info);
        Assert.Contains("(50000, 784)", infoOut);
        Assert.Contains("(10000, 784)", infoOut);
    }

    [Fact]
    public void Data_verify_names_a_damaged_file_and_exits_1()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("mnist"));
        foreach (var f in Directory.GetFiles(Repo.MnistIdx)) File.Copy(f, Path.Combine(dir.File("mnist"), Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(dir.File("mnist"), "t10k-labels-idx1-ubyte.gz"), [0x1f, 0x8b, 0, 0]);

        var (code, stdout, stderr) = Run("data", "verify", "--data", dir.Path);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", stdout);
        Assert.Contains("1 of 4 files", stderr);
    }

    [Fact]
    public void Bench_prints_every_mode_and_writes_the_json()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run("bench", "--epochs", "1", "--samples", "500", "--json", dir.File("b.json"));

        Assert.True(code == 0, stderr);
        foreach (var mode in new[] { "raw", "final", "shuffled", "torchsharp_loader", "manual", "final_vs_raw" }) Assert.Contains(mode, stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("b.json")));
        Assert.Equal(4, doc.RootElement.GetProperty("ratios").EnumerateObject().Count());
    }

    [Fact]
    public void Bench_check_targets_gives_each_ratio_its_interval_and_fails_only_for_a_whole_interval_off_target()
    {
        var (code, stdout, stderr) = Run("bench", "--check-targets", "--epochs", "6", "--samples", "500");

        // What a tiny, noisy configuration measures is not asserted; that the verdicts, the messages and the exit code agree is.
        var checks = stdout.Split('\n').Where(l => l.Contains("_vs_", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, checks.Count);
        Assert.All(checks, l => Assert.Matches(@"^\w+ +\d+\.\d{3}  \(\d+\.\d{3} to \d+\.\d{3}, 97% interval of 6 rounds\)  target [<>]= \d\.\d\d  (met|missed|unclear)$", l));
        var missed = checks.Where(l => l.EndsWith(" missed", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToList();
        var unclear = checks.Where(l => l.EndsWith(" unclear", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(missed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed, code);
        foreach (var name in missed) Assert.Contains($"error: {name} missed its target: its whole 97% interval, ", stderr);
        foreach (var name in unclear) Assert.Contains($"warning: {name} is not decided: its 97% interval, ", stderr);
    }

    [Fact]
    public void Bench_refuses_an_unwritable_json_path_before_timing_anything()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run("bench", "--epochs", "1", "--samples", "500", "--json", dir.File("missing/b.json"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("--json", stderr);
        Assert.DoesNotContain("warm-up", stderr);
        Assert.Equal("", stdout);
    }
}
