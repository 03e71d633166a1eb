using System.Text.RegularExpressions;
using Backprop.Cli;
using Backprop.Cli.Commands;

namespace Backprop.Tests.Cli;

/// <summary>What .NET and PyTorch users expect of a command line: help and version on stdout, unwrapped redirected output, an info command.</summary>
public sealed partial class ConventionsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = BackpropApp.RunAsync(args, CliConsole.Create(stdout, stderr, live: false)).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("train", "--help")]
    [InlineData("bench", "-h")]
    [InlineData("info", "--help")]
    public void Help_goes_to_stdout_so_that_it_pipes(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("Usage:", stdout);
        Assert.Empty(stderr);
    }

    [Fact]
    public void Version_goes_to_stdout()
    {
        var (code, stdout, stderr) = Run("--version");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
        Assert.Empty(stderr);
    }

    [Fact]
    public void Redirected_output_is_not_wrapped_at_80_columns()
    {
        var (code, stdout, _) = Run("data", "verify", "--data", Path.Combine(Repo.Root, "data"));

        Assert.Equal(ExitCodes.Ok, code);
        var lines = stdout.Split('\n');
        // Each file's row holds its whole SHA-256 on one line, and that line is wider than a terminal's 80 columns.
        var rows = lines.Where(l => l.Contains("-ubyte.gz", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Matches(Sha256(), r));
        Assert.Contains(rows, r => r.Length > 80);
    }

    [Fact]
    public void Redirected_tables_end_their_lines_without_padding()
    {
        var (verify, verifyOut, _) = Run("data", "verify", "--data", Repo.Data);
        var (info, infoOut, _) = Run("data", "info", "--data", Repo.Data);

        Assert.Equal(ExitCodes.Ok, verify);
        Assert.Equal(ExitCodes.Ok, info);
        foreach (var output in new[] { verifyOut, infoOut })
        {
            var lines = output.Split('\n');
            Assert.DoesNotContain(lines, l => l.EndsWith(' '));
            Assert.Contains(lines, l => l.Contains("   ", StringComparison.Ordinal)); // the columns are still aligned by spaces
        }
    }

    [Theory]
    [InlineData(new[] { "a  b  \n", "  c \r\n" }, "a  b\n  c\r\n")]
    [InlineData(new[] { "x  ", "", " y", "   " }, "x   y")] // spaces held over a write are written once the line goes on
    [InlineData(new[] { "   \n\n" }, "\n\n")]
    public void The_trimmer_drops_only_the_spaces_that_end_a_line(string[] writes, string expected)
    {
        using var inner = new StringWriter();
        using var trimmer = new TrailingSpaceTrimmer(inner);

        foreach (var w in writes) trimmer.Write(w);

        Assert.Equal(expected, inner.ToString());
    }

    [Fact]
    public void Info_names_the_versions_the_native_loader_threads_cuda_and_the_data()
    {
        var (code, stdout, stderr) = Run("info", "--data", Path.Combine(Repo.Root, "data"));

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Empty(stderr);
        foreach (var name in new[] { "backprop:", ".NET:", "TorchSharp:", "libtorch:", "native loader:", "native patched:", "CPU threads:", "CUDA:", "data folder:", "data verifies:" })
            Assert.Contains(name, stdout);
        Assert.Contains("TorchSharp:       0.107.0", stdout);
        Assert.Matches(@"libtorch:\s+libtorch-cpu\S*/2\.10\.0", stdout);
        Assert.Matches(@"data verifies:\s+yes, all 4 files", stdout);
        Assert.Matches($@"CPU threads:\s+torch \d+ intra-op.*{Environment.ProcessorCount} processors", stdout);
    }

    [Fact]
    public void Info_with_no_data_reports_what_is_missing_and_still_exits_0()
    {
        using var dir = new TempDir();

        var (code, stdout, stderr) = Run("info", "--data", dir.Path);
        var (absent, absentOut, _) = Run("info", "--data", dir.File("absent"));

        Assert.Equal(ExitCodes.Ok, code); // the command for bug reports does not fail for what it reports
        Assert.Empty(stderr);
        Assert.Matches(@"data verifies:\s+no: train-images-idx3-ubyte\.gz missing; .*missing", stdout);
        Assert.Contains("TorchSharp:", stdout); // the rest is still reported
        Assert.Equal(ExitCodes.Ok, absent);
        Assert.Matches($@"data folder:\s+{Regex.Escape(dir.File("absent"))} not found\. Check the path given to --data", absentOut);
        Assert.DoesNotContain("pass --data DIR", absentOut);
        Assert.Matches(@"data verifies:\s+no: no data folder", absentOut);
    }

    [Theory]
    [InlineData("runs/2025/checkpoint.ckpt", "runs/2025/checkpoint.ckpt")]
    [InlineData("my runs/checkpoint.ckpt", "'my runs/checkpoint.ckpt'")]
    [InlineData("it's", "'it'\\''s'")]
    public void The_resume_hint_quotes_paths_as_a_shell_reads_them(string word, string quoted)
    {
        Assert.Equal(quoted, Invocation.Quote(word));
        Assert.EndsWith($" train --resume {quoted}", Invocation.Command("train", "--resume", word));
    }

    [Fact]
    public void In_a_test_host_the_hint_starts_with_dotnet_and_the_runners_dll()
    {
        Assert.Matches(@"^dotnet \S*backprop\.dll$", Invocation.Prefix);
    }

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex Sha256();
}
