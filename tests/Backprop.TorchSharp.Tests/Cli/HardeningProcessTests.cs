using System.Text.RegularExpressions;
using Backprop.Cli.Runs;
using Backprop.Data;
using Mono.Unix.Native;

namespace Backprop.Tests.Cli;

/// <summary>Hostile conditions that need a process (issue 16): a full disk, a signal, a second run, a FIFO.</summary>
[Trait("Category", "Process")]
public sealed class HardeningProcessTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => ChildProcess.Runner(args);

    private static void Sh(string file, params string[] args) => Assert.Equal(0, ChildProcess.Run(file, args, TimeSpan.FromMinutes(1)).Code);

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
    public void A_second_run_into_a_held_folder_is_refused_with_the_first_ones_pid_and_a_killed_run_leaves_no_stale_lock()
    {
        using var dir = new TempDir();
        using var first = ChildProcess.StartRunner("train", "--epochs", "100", "--device", "cpu", "--out", dir.Path);
        first.WaitUntil(() => File.Exists(dir.File("checkpoint.ckpt")), TimeSpan.FromMinutes(3));
        Assert.False(first.HasExited, "the first run ended before its first checkpoint");

        var (code, _, err) = Run("train", "--epochs", "1", "--device", "cpu", "--out", dir.Path);
        first.Kill();
        Assert.True(first.WaitForExit(TimeSpan.FromMinutes(1)), "the first run outlived SIGKILL");

        Assert.Equal(1, code);
        Assert.Contains($"in use by another backprop run (process {first.Id})", err);
        var (again, _, againErr) = Run("train", "--epochs", "1", "--device", "cpu", "--out", dir.Path, "--overwrite"); // the killed run's results stay until replaced
        Assert.True(again == 0, againErr);
    }

    // Class 9: the first SIGTERM outside train's batch loop ends the process. bench runs for tens of seconds (gradcheck now
    // ends within 3 s, too soon to be signalled reliably), and it once printed "stopping after this batch" and ran on.
    [Fact]
    public void A_first_SIGTERM_ends_bench_at_once_with_exit_130()
    {
        using var p = ChildProcess.StartRunner("bench", "--epochs", "50");
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.False(p.HasExited, "bench ended before the signal");

        p.Signal(Signum.SIGTERM);

        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "bench ran on after SIGTERM");
        Assert.Equal(130, p.ExitCode);
        Assert.DoesNotContain("stopping after this batch", p.Err);
        Assert.DoesNotContain("final_vs_raw", p.Out);
    }

    // Class 9: a FIFO where a checkpoint or a data file belongs is refused, not opened.
    [Fact]
    public void A_fifo_as_checkpoint_or_data_is_refused_without_blocking()
    {
        using var dir = new TempDir();
        dir.Fifo("ckpt");
        Directory.CreateDirectory(dir.File("data"));
        dir.Fifo("data/mnist.pkl.gz");

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
        dir.Fifo(name);

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
        Assert.Equal("a FIFO (named pipe)", PlainFile.Kind(dir.File(name)));
    }
    // Issue 24, class 1: the run folder's own files are never followed through a link, nor read from a FIFO or device.
    [Fact]
    public void The_run_folders_lock_and_pid_files_are_never_followed_nor_read_from_a_fifo()
    {
        using var dir = new TempDir();
        var run = dir.File("run");
        Directory.CreateDirectory(run);
        File.WriteAllText(dir.File("victim"), "my data");
        File.CreateSymbolicLink(Path.Combine(run, ".backprop.pid"), dir.File("victim"));
        var (pidLink, _, pidErr) = Run("train", "--epochs", "1", "--out", run);
        File.Delete(Path.Combine(run, ".backprop.pid"));
        File.CreateSymbolicLink(Path.Combine(run, ".backprop.lock"), dir.File("missing"));
        var (lockLink, _, lockErr) = Run("train", "--epochs", "1", "--out", run);
        File.Delete(Path.Combine(run, ".backprop.lock"));
        // Held by this process, with a FIFO where the holder's pid belongs: refused at once, the pid unknown.
        using (RunFolder.Prepare(run))
        {
            File.Delete(Path.Combine(run, ".backprop.pid"));
            dir.Fifo("run/.backprop.pid");
            var (busy, _, busyErr) = Run("train", "--epochs", "1", "--out", run);
            Assert.Equal(1, busy);
            Assert.Contains("in use by another backprop run (process unknown)", busyErr);
            File.Delete(Path.Combine(run, ".backprop.pid"));
        }

        Assert.Equal((1, 1), (pidLink, lockLink));
        Assert.Contains(".backprop.pid in it is a symbolic link, not a regular file; remove it", pidErr);
        Assert.Contains(".backprop.lock in it is a symbolic link, not a regular file; remove it", lockErr);
        Assert.Equal("my data", File.ReadAllText(dir.File("victim")));
        Assert.False(File.Exists(dir.File("missing")));
    }

    // Class 2: --out into another run's folder, unless it resumes that folder's checkpoint or says --overwrite.
    [Fact]
    public void A_run_into_another_runs_folder_is_refused_unless_it_resumes_it_or_overwrites_it()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Run("train", "--epochs", "1", "--hidden", "8", "--out", dir.Path).Code);
        var before = File.ReadAllBytes(dir.File("checkpoint.ckpt"));
        var events = Directory.GetFiles(dir.File("tensorboard"));

        var (other, _, otherErr) = Run("train", "--epochs", "1", "--out", dir.Path);
        var unchanged = File.ReadAllBytes(dir.File("checkpoint.ckpt"));
        var (resumed, _, resumedErr) = Run("train", "--resume", dir.File("checkpoint.ckpt"), "--epochs", "2", "--out", dir.Path);
        var (overwrite, _, overwriteErr) = Run("train", "--epochs", "1", "--out", dir.Path, "--overwrite");

        Assert.Equal(1, other);
        Assert.Contains("holds another run's results (checkpoint.ckpt, metrics.jsonl", otherErr);
        Assert.Contains("--overwrite", otherErr);
        Assert.Equal(before, unchanged);
        Assert.True(resumed == 0, resumedErr);
        Assert.True(overwrite == 0, overwriteErr);
        Assert.Equal(50, CheckpointFile.Load(dir.File("checkpoint.ckpt")).Settings.Hidden);
        Assert.Single(Directory.GetFiles(dir.File("tensorboard"))); // the other run's two event files are gone, not mixed in
        Assert.DoesNotContain(events[0], Directory.GetFiles(dir.File("tensorboard")));
    }

    // Class 4: a FIFO named like a state_dict is refused by evaluate, predict and export without blocking.
    [Fact]
    public void A_fifo_named_pt_or_safetensors_is_refused_without_blocking()
    {
        using var dir = new TempDir();
        dir.Fifo("m.pt");
        dir.Fifo("m.safetensors");

        var (evaluate, _, evaluateErr) = Run("evaluate", dir.File("m.pt"));
        var (predict, _, predictErr) = Run("predict", dir.File("m.safetensors"), "digit.png");
        var (export, _, exportErr) = Run("export", dir.File("m.pt"), "--format", "onnx");
        var (device, _, deviceErr) = Run("evaluate", "/dev/zero");

        Assert.Equal((1, 1, 1, 1), (evaluate, predict, export, device));
        foreach (var err in new[] { evaluateErr, predictErr, exportErr })
            Assert.Contains("is a FIFO (named pipe), not a model file", err);
        Assert.Contains("/dev/zero: is a character device, not a model file", deviceErr);
    }

    // Classes 10 and 13: a closed standard output is named; a malformed locale no longer aborts .NET.
    [Fact]
    public void A_closed_standard_output_is_named_and_a_malformed_locale_is_harmless()
    {
        var (closed, _, closedErr) = ChildProcess.Run("/bin/sh", ["-c", $"exec dotnet '{Repo.RunnerDll}' info >&-"], TimeSpan.FromMinutes(2));
        var (locale, localeOut, localeErr) = ChildProcess.Run("dotnet", [Repo.RunnerDll, "info"], TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["LC_ALL"] = "x@y.z" });
        var (german, germanOut, _) = ChildProcess.Run("dotnet", [Repo.RunnerDll, "gradcheck"], TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["LC_ALL"] = "de_DE.UTF-8" });

        Assert.Equal(1, closed);
        Assert.Contains("standard output is closed", closedErr);
        Assert.DoesNotContain("denied", closedErr);
        Assert.True(locale == 0, localeErr);
        Assert.Contains("TorchSharp", localeOut);
        Assert.Equal(0, german);
        Assert.DoesNotMatch(@"\d,\d", germanOut); // one decimal separator whatever the locale
    }

    // Class 12: SIGHUP ends the command as SIGTERM does, and the fast exit leaves none of the runtime's files in $TMPDIR.
    [Fact]
    public void A_hang_up_ends_the_command_with_130_and_leaves_no_runtime_files_in_tmpdir()
    {
        using var tmp = new TempDir();
        using var p = ChildProcess.Start("dotnet", [Repo.RunnerDll, "bench", "--epochs", "50"], new Dictionary<string, string?> { ["TMPDIR"] = tmp.Path });
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.False(p.HasExited, "bench ended before the signal");
        Assert.NotEmpty(Directory.GetFileSystemEntries(tmp.Path, $"*-{p.Id}-*")); // the runtime's pipes and socket, while it runs

        p.Signal(Signum.SIGHUP);

        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "bench ran on after SIGHUP");
        Assert.Equal(130, p.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
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
