using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.Cli.Runs;

namespace Backprop.Tests.Cli;

/// <summary>The runner's commands called in-process, with their output captured.</summary>
public sealed class BackpropAppTests
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
    public void A_bad_command_line_prints_the_error_and_usage_and_exits_2(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains("Usage:", stderr);
        Assert.Empty(stdout);
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
        Assert.Contains("backprop data download", stderr);
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
    public void Train_writes_metrics_as_json_lines_and_evaluate_accepts_its_checkpoint()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run("train", "--epochs", "2", "--hidden", "20", "--out", dir.File("run"), "--metrics", dir.File("m.jsonl"));

        Assert.True(code == 0, stderr);
        Assert.Contains("784-20-10", stdout);
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
