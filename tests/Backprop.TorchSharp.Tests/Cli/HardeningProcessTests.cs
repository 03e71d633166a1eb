using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Cli.Runs;
using Backprop.Data;

namespace Backprop.Tests.Cli;

/// <summary>Hostile conditions that need a process (issue 16): a full disk, a signal, a second run, a FIFO.</summary>
public sealed class HardeningProcessTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => ChildProcess.Run("dotnet", [Repo.RunnerDll, .. args], TimeSpan.FromMinutes(5));

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Repo.RunnerDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static void Sh(string file, params string[] args) => Assert.Equal(0, ChildProcess.Run(file, args, TimeSpan.FromMinutes(1)).Code);

    private static void Signal(Process p, string signal) => Sh("kill", $"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture));

    // Class 1: the disk fills after the first epoch's checkpoint.
    [RootFact]
    public void A_disk_that_fills_mid_run_is_reported_and_the_last_good_checkpoint_survives()
    {
        using var dir = new TempDir();
        var mount = dir.File("small");
        Directory.CreateDirectory(mount);
        Sh("mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", mount); // one checkpoint of 784-50-10 (165 KB) fits, two do not
        try
        {
            var (code, _, err) = Run("train", "--epochs", "3", "--device", "cpu", "--out", Path.Combine(mount, "run"));

            Assert.Equal(1, code);
            Assert.Contains("No space left on device", err);
            Assert.Contains("The last good checkpoint", err);
            Assert.DoesNotContain("   at ", err);
            Assert.Equal(1, CheckpointFile.Load(Path.Combine(mount, "run", "checkpoint.ckpt")).Epochs);
            Assert.Empty(Directory.GetFiles(Path.Combine(mount, "run"), ".checkpoint.*"));
        }
        finally
        {
            Sh("umount", mount);
        }
    }

    // Class 1: an immutable checkpoint on --resume.
    [ImmutableFileFact]
    public void An_immutable_checkpoint_on_resume_is_reported_and_kept()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run("train", "--epochs", "1", "--device", "cpu", "--out", dir.Path).Code);
        var ckpt = dir.File("checkpoint.ckpt");
        var before = File.ReadAllBytes(ckpt);
        Sh("chattr", "+i", ckpt);
        try
        {
            var (code, _, err) = Run("train", "--resume", ckpt, "--epochs", "2", "--device", "cpu");

            Assert.Equal(1, code);
            Assert.Contains($"cannot write {ckpt}", err);
            Assert.DoesNotContain("   at ", err);
        }
        finally
        {
            Sh("chattr", "-i", ckpt);
        }
        Assert.Equal(before, File.ReadAllBytes(ckpt));
    }

    // Class 10: a second run into a held folder; a killed run's lock is not stale.
    [Fact]
    public async Task A_second_run_into_a_held_folder_is_refused_with_the_first_ones_pid_and_a_killed_run_leaves_no_stale_lock()
    {
        using var dir = new TempDir();
        using var first = Start("train", "--epochs", "100", "--device", "cpu", "--out", dir.Path);
        var output = first.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!File.Exists(dir.File("checkpoint.ckpt")) && DateTime.UtcNow < deadline && !first.HasExited) await Task.Delay(50);
        Assert.False(first.HasExited, "the first run ended before its first checkpoint");

        var (code, _, err) = Run("train", "--epochs", "1", "--device", "cpu", "--out", dir.Path);
        first.Kill();
        await first.WaitForExitAsync();
        await output;

        Assert.Equal(1, code);
        Assert.Contains($"in use by another backprop run (process {first.Id})", err);
        var (again, _, againErr) = Run("train", "--epochs", "1", "--device", "cpu", "--out", dir.Path);
        Assert.True(again == 0, againErr);
    }

    // Class 9: the first SIGTERM outside train's batch loop ends the process. bench runs for tens of seconds (gradcheck now
    // ends within 3 s, too soon to be signalled reliably), and it once printed "stopping after this batch" and ran on.
    [Fact]
    public async Task A_first_SIGTERM_ends_bench_at_once_with_exit_130()
    {
        using var p = Start("bench", "--epochs", "50");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(p.HasExited, "bench ended before the signal");

        Signal(p, "TERM");

        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "bench ran on after SIGTERM");
        Assert.Equal(130, p.ExitCode);
        Assert.DoesNotContain("stopping after this batch", await stderr);
        Assert.DoesNotContain("final_vs_raw", await stdout);
    }

    // Class 9: a FIFO where a checkpoint or a data file belongs is refused, not opened.
    [Fact]
    public void A_fifo_as_checkpoint_or_data_is_refused_without_blocking()
    {
        using var dir = new TempDir();
        Sh("mkfifo", dir.File("ckpt"));
        Directory.CreateDirectory(dir.File("data"));
        Sh("mkfifo", dir.File("data/mnist.pkl.gz"));

        var (resume, _, resumeErr) = Run("train", "--resume", dir.File("ckpt"));
        var (info, _, infoErr) = Run("data", "info", "--data", dir.File("data/mnist.pkl.gz"));

        Assert.Equal((1, 1), (resume, info));
        Assert.Contains("is a FIFO (named pipe), not a checkpoint file", resumeErr);
        Assert.Contains("is a FIFO (named pipe), not a data file", infoErr);
    }

    // Class 9: a FIFO where one of the four IDX files belongs is refused by name, not opened (nothing ever writes to it).
    [Theory]
    [InlineData("train-images-idx3-ubyte.gz")]
    [InlineData("train-labels-idx1-ubyte.gz")]
    [InlineData("t10k-images-idx3-ubyte.gz")]
    [InlineData("t10k-labels-idx1-ubyte.gz")]
    public void A_fifo_as_one_of_the_idx_files_is_refused_without_blocking(string name)
    {
        using var dir = new TempDir();
        foreach (var file in Directory.GetFiles(Repo.MnistIdx, "*-ubyte.gz"))
            if (Path.GetFileName(file) != name) File.Copy(file, dir.File(Path.GetFileName(file)));
        Sh("mkfifo", dir.File(name));

        var (info, _, infoErr) = Run("data", "info", "--data", dir.Path);
        var (train, _, trainErr) = Run("train", "--epochs", "1", "--device", "cpu", "--data", dir.Path, "--out", dir.File("run"));
        var (verify, verifyOut, _) = Run("data", "verify", "--data", dir.Path);

        Assert.Equal((1, 1, 1), (info, train, verify));
        foreach (var err in new[] { infoErr, trainErr })
        {
            Assert.Equal($"error: {dir.File(name)}: is a FIFO (named pipe), not a data file; pass the folder that holds the MNIST files", err.Trim());
        }
        Assert.Matches($@"{Regex.Escape(name)}\s+unreadable\s+is a FIFO \(named pipe\)", verifyOut);
        Assert.False(Directory.Exists(dir.File("run")));
        Assert.Equal("a FIFO (named pipe)", FileKind.NotRegularFile(dir.File(name)));
    }
}

/// <summary>A fact that needs root on Linux (a tmpfs mount, chattr): skipped, with the reason, without it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Skip = "needs root on Linux to mount a small tmpfs (a full disk) or set chattr +i";
    }
}

/// <summary>A fact that makes a file in the temporary folder immutable (<c>chattr +i</c>): skipped, saying why, without root on Linux or where that folder's file system has no such attribute.</summary>
public sealed class ImmutableFileFactAttribute : FactAttribute
{
    public ImmutableFileFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "needs root on Linux to set chattr +i";
            return;
        }
        var probe = Path.Combine(Path.GetTempPath(), $"backprop-chattr-{Guid.NewGuid():N}");
        File.WriteAllText(probe, "");
        try
        {
            var (code, _, err) = ChildProcess.Run("chattr", ["+i", probe], TimeSpan.FromMinutes(1));
            if (code != 0) Skip = $"chattr +i fails in {Path.GetTempPath()} (a file system without the immutable attribute, such as tmpfs or overlayfs): {err.Trim()}";
            else ChildProcess.Run("chattr", ["-i", probe], TimeSpan.FromMinutes(1));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Skip = $"chattr cannot be run: {e.Message}";
        }
        finally
        {
            File.Delete(probe);
        }
    }
}
