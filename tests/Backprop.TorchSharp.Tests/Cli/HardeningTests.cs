using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests.Cli;

/// <summary>Hostile input, in-process (issue 16): every case ends with one clear error, exit 1 or 2, and the user's files as they were.</summary>
[Collection(MnistGroup.Name)]
public sealed class HardeningTests(TrainedRun run)
{
    private static (int Code, string Out, string Err) Run(params string[] args) => BackpropAppTests.Run(args);

    // Class 5: values the parser took but the program could not hold; the message gives the range.
    [Theory]
    [InlineData("--batch-size", "1073741824", "from 1 to 100,000")]
    [InlineData("--hidden", "100000000", "from 1 to 100,000")]
    [InlineData("--lr", "3.5e38", "above 0 and at most 1000")]
    [InlineData("--threads", "100000", "from 1 to 256")]
    [InlineData("--epochs", "2147483647", "from 1 to 100,000")]
    [InlineData("--seed", "abc", "--seed must be a whole number")]
    public void A_value_out_of_range_is_a_usage_error_that_says_the_range(string option, string value, string range)
    {
        var (code, _, err) = Run("train", option, value);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(range, err);
        Assert.DoesNotContain("System.", err);
    }

    // --hidden as a list: each kind of bad list is named, one line, exit 2, before anything is loaded.
    [Theory]
    [InlineData("100,,50", "--hidden '100,,50' has an empty width (number 2); separate the widths with single commas, e.g. 100,50")]
    [InlineData("0", "--hidden must be from 1 to 100,000, got 0")]
    [InlineData("-5", "--hidden must be from 1 to 100,000, got -5")]
    [InlineData("100,-5", "--hidden must be from 1 to 100,000, got -5 (hidden layer 2)")]
    [InlineData("1e3", "--hidden '1e3': '1e3' is not a whole number; give whole numbers separated by commas, e.g. 100,50")]
    [InlineData("", "--hidden needs at least one width, e.g. 50 (784-50-10) or 100,50 (784-100-50-10)")]
    [InlineData("1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", "--hidden may have at most 32 hidden layers, got 33")]
    [InlineData("100000,100000", "--hidden 100000,100000 makes a model of 10,079,600,010 weights and biases, more than the 100,000,000 backprop trains")]
    public void A_bad_hidden_list_is_a_one_line_usage_error_that_names_the_problem(string value, string says)
    {
        using var dir = new TempDir();

        var (code, stdout, err) = Run("train", "--hidden", value, "--out", dir.File("run"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Empty(stdout);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length); // the error, then the pointer to --help
        Assert.StartsWith($"error: {says}", lines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Fact]
    public void Widths_given_with_spaces_get_the_list_with_commas_suggested()
    {
        var (code, _, err) = Run("train", "--nh", "100", "50", "20");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("error: unexpected argument '20'; --hidden takes the widths of several hidden layers separated by commas: --hidden 100,50,20\n", err, StringComparison.Ordinal);
        Assert.Equal(2, err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    // Class 6: empty or blank paths.
    [Theory]
    [InlineData("train", "--out", "")]
    [InlineData("train", "--resume", " ")]
    [InlineData("train", "--metrics", "")]
    [InlineData("evaluate", "")]
    [InlineData("evaluate", "x.ckpt", "--png", "")]
    [InlineData("bench", "--json", "")]
    [InlineData("gradcheck", "--json", "  ")]
    [InlineData("data", "info", "--data", "")]
    [InlineData("predict", "x.ckpt", "")]
    [InlineData("predict", "", "digit.png")]
    [InlineData("export", "", "--format", "pt")]
    [InlineData("export", "x.ckpt", "--format", "pt", "--out", " ")]
    [InlineData("bench", "--sweep", "--plot", "")]
    public void An_empty_path_is_a_usage_error(params string[] args)
    {
        var (code, _, err) = Run(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("needs a path, got an empty one", err);
    }

    // Class 2: an output that is an input, another output, or not a regular file.
    [Fact]
    public void Metrics_aimed_at_a_checkpoint_or_a_device_are_refused_and_the_files_stay()
    {
        using var dir = new TempDir();
        var other = dir.File("other.ckpt");
        File.WriteAllBytes(other, CheckpointFile.Serialize(Sample()));
        var before = File.ReadAllBytes(other);
        Directory.CreateDirectory(dir.File("run"));

        var (own, _, ownErr) = Run("train", "--out", dir.File("run"), "--metrics", dir.File("run/checkpoint.ckpt"));
        var (foreign, _, foreignErr) = Run("train", "--out", dir.File("run"), "--metrics", other);
        var (device, _, deviceErr) = Run("train", "--out", dir.File("run"), "--metrics", "/dev/null");

        Assert.Equal((1, 1, 1), (own, foreign, device));
        Assert.Contains("also an input or another output", ownErr);
        Assert.Contains("holds something else", foreignErr);
        Assert.Contains("character device, not a regular file", deviceErr);
        Assert.Equal(before, File.ReadAllBytes(other));
        Assert.False(File.Exists(dir.File("run/checkpoint.ckpt")));
    }

    [Fact]
    public void Evaluate_will_not_draw_its_png_over_the_checkpoint_or_through_a_symlink()
    {
        using var dir = new TempDir();
        var ckpt = dir.File("c.ckpt");
        File.WriteAllBytes(ckpt, CheckpointFile.Serialize(Sample()));
        var before = File.ReadAllBytes(ckpt);
        File.CreateSymbolicLink(dir.File("link.png"), ckpt);

        var (self, _, selfErr) = Run("evaluate", ckpt, "--png", ckpt);
        var (link, _, linkErr) = Run("evaluate", ckpt, "--png", dir.File("link.png"));
        var (json, _, jsonErr) = Run("gradcheck", "--json", ckpt);

        Assert.Equal((1, 1, 1), (self, link, json));
        Assert.Contains("also an input", selfErr);
        Assert.Contains("also an input", linkErr); // the link resolves to the checkpoint
        Assert.Contains("holds something else", jsonErr);
        Assert.Equal(before, File.ReadAllBytes(ckpt));
    }

    [Fact]
    public void An_existing_output_of_the_same_kind_is_replaced_but_nothing_else()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("old.json"), "{\"rows\": []}");
        File.WriteAllText(dir.File("notes.txt"), "my notes");

        Assert.Null(AtomicFile.Refusal(dir.File("old.json"), OutputFile.Json, []));
        Assert.Null(AtomicFile.Refusal(dir.File("new.json"), OutputFile.Json, []));
        Assert.Contains("holds something else", AtomicFile.Refusal(dir.File("notes.txt"), OutputFile.Json, []));
        Assert.Contains("folder", AtomicFile.Refusal(dir.Path, OutputFile.Json, []));
    }

    // Class 7: a hand-made checkpoint whose SHA-256 is valid but whose fields make no sense.
    [Theory]
    [InlineData("\"hidden\":[3]", "\"hidden\":[2000000000]", "hidden must be from 1 to 100,000")]
    [InlineData("\"hidden\":[3]", "\"hidden\":[3,0]", "hidden must be from 1 to 100,000, got 0 (hidden layer 2)")]
    [InlineData("\"hidden\":[3]", "\"hidden\":[]", "hidden needs at least one hidden layer's width")]
    [InlineData("\"hidden\":[3]", "\"hidden\":[3,3]", "its tensors are 0.weight (3, 784), 0.bias (3), 2.weight (10, 3), 2.bias (10), but its settings' 784-3-3-10 needs")]
    [InlineData("\"hidden\":[3]", "\"hidden\":[3.5]", "hidden holds something other than whole numbers")]
    [InlineData("\"hidden\":[3]", "\"hidden\":3", "hidden is not an array of widths")]
    [InlineData("\"hidden\":[3]", "\"hidden\":null", "hidden is not an array of widths")]
    [InlineData("\"hidden\":[3]", "\"hidden\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "at most 32 hidden layers")]
    [InlineData("\"hidden\":[3]", "\"hidden\":[100000,100000]", "more than the 100,000,000 backprop trains")]
    [InlineData("\"name\":\"2.weight\"", "\"name\":\"4.weight\"", "its tensors are 0.weight (3, 784), 0.bias (3), 4.weight (10, 3)")]
    [InlineData("\"learning_rate\":0.25,\"batch_size\"", "\"learning_rate\":1e300,\"batch_size\"", "learning_rate must be above 0")]
    [InlineData("\"batch_size\":7", "\"batch_size\":1073741824", "batch_size must be from 1 to 100,000")]
    [InlineData("\"loss\":\"mse\"", "\"loss\":7", "damaged header")]
    [InlineData("\"gradients\":\"manual\"", "\"gradients\":\"numeric\"", "damaged header")]
    [InlineData("\"kind\":\"sgd\"", "\"kind\":\"adam\"", "plain SGD")]
    [InlineData("\"valid_accuracy\":0.9", "\"valid_accuracy\":7", "an accuracy is 0 to 1")]
    [InlineData("\"epoch\":1,", "\"epoch\":5,", "numbered 5")]
    public void A_checkpoint_with_a_valid_checksum_but_senseless_fields_is_refused(string from, string to, string problem)
    {
        var bytes = Reheader(CheckpointFile.Serialize(Sample()), json =>
        {
            Assert.Contains(from, json);
            return json.Replace(from, to, StringComparison.Ordinal);
        });

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("hand-made.ckpt", bytes));

        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_flipped_bit_in_the_version_reads_as_damage_not_as_a_newer_format()
    {
        var bytes = CheckpointFile.Serialize(Sample());
        bytes["backprop-checkpoint\n".Length + 2] ^= 0x10;

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("c.ckpt", bytes));

        Assert.Contains("checksum does not match", e.Message);
    }

    [Fact]
    public void A_large_foreign_file_is_refused_by_its_signature_before_it_is_read()
    {
        using var dir = new TempDir();
        using (var f = File.Create(dir.File("big.ckpt"))) f.SetLength(1L << 40); // sparse: 1 TB that reading whole would fail on

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(dir.File("big.ckpt")));

        Assert.Contains("not a backprop checkpoint", e.Message);
    }

    [Fact]
    public void A_folder_given_as_the_checkpoint_says_so()
    {
        using var dir = new TempDir();

        var (code, _, err) = Run("evaluate", dir.Path);

        Assert.Equal(1, code);
        Assert.Contains("is a folder; pass the checkpoint inside it", err);
        Assert.DoesNotContain("denied", err);
    }

    // Class 7 (random state) and class 10 (the folder lock), through a real run.
    [Fact]
    public void A_random_state_of_the_wrong_size_is_refused_instead_of_aborting_libtorch()
    {
        using var dir = new TempDir();
        var good = CheckpointFile.Load(run.Checkpoint);
        CheckpointFile.Save(dir.File("bad.ckpt"), good with { RngState = [1, 2, 3] });

        var (code, _, err) = Run("train", "--resume", dir.File("bad.ckpt"), "--epochs", "2", "--out", dir.File("resumed"), "--device", "cpu");

        Assert.Equal(1, code);
        Assert.Contains("random state of 3 bytes", err);
        Assert.False(Directory.Exists(dir.File("resumed"))); // created for the run, left empty: removed
    }

    [Fact]
    public void A_held_run_folder_is_refused_with_the_holders_pid_and_free_once_released()
    {
        using var dir = new TempDir();
        using (RunFolder.Prepare(dir.Path))
        {
            var e = Assert.Throws<RunFolderException>(() => RunFolder.Prepare(dir.Path));
            Assert.Contains($"in use by another backprop run (process {Environment.ProcessId})", e.Message);
        }
        using var again = RunFolder.Prepare(dir.Path);
        Assert.False(File.Exists(dir.File(".backprop.pid")) && File.ReadAllText(dir.File(".backprop.pid")) != $"{Environment.ProcessId}");
    }

    [Fact]
    public void A_killed_runs_temporary_files_are_removed_by_the_next_run_of_the_folder()
    {
        using var dir = new TempDir();
        var stale = dir.File($".checkpoint.{Guid.NewGuid():N}.ckpt");
        File.WriteAllText(stale, "half a checkpoint");
        File.WriteAllText(dir.File("notes.txt"), "mine");

        using (RunFolder.Prepare(dir.Path)) { }

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(dir.File("notes.txt")));
    }

    // The last guard.
    [Fact]
    public void An_unexpected_exception_is_one_line_naming_the_command_with_the_trace_in_a_file_and_exit_70()
    {
        using var stderr = new StringWriter();

        var code = BackpropApp.LastResort("train", new InvalidOperationException("boom"), CliConsole.Create(TextWriter.Null, stderr, live: false));

        Assert.Equal(70, code);
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("backprop train failed unexpectedly: InvalidOperationException: boom", line);
        var trace = line[(line.IndexOf("the trace is in ", StringComparison.Ordinal) + 16)..line.IndexOf(';', StringComparison.Ordinal)];
        Assert.Contains("boom", File.ReadAllText(trace));
        File.Delete(trace);
    }

    internal static Checkpoint Sample() => new(
        new TrainSettings(Hidden: 3, Loss: LossKind.Mse, Gradients: GradientKind.Manual, LearningRate: 0.25, BatchSize: 7, Epochs: 4, Seed: 42),
        [new EpochResult(1, 0.5, 0.4, 0.9, 1.5), new EpochResult(2, 0.3, 0.2, 0.95, 1.25)],
        Runs.CheckpointFileTests.Weights(3),
        new OptimizerState("sgd", 0.25, 0),
        [9, 8, 7, 6]);

    /// <summary>Rewrites a checkpoint's JSON header (and its format version, when given) and seals it again with a valid length and SHA-256, as a forger would.</summary>
    internal static byte[] Reheader(byte[] bytes, Func<string, string> edit, uint? version = null)
    {
        var magic = "backprop-checkpoint\n".Length;
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(magic + 4));
        var json = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(bytes, magic + 8, length)));
        var rest = bytes.AsSpan(magic + 8 + length, bytes.Length - 32 - (magic + 8 + length));
        using var ms = new MemoryStream();
        ms.Write(bytes.AsSpan(0, magic + 4));
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)json.Length);
        ms.Write(len);
        ms.Write(json);
        ms.Write(rest);
        if (version is { } v) BinaryPrimitives.WriteUInt32LittleEndian(ms.GetBuffer().AsSpan(magic), v);
        ms.Write(SHA256.HashData(ms.ToArray()));
        return ms.ToArray();
    }

    // "Also": a run killed with SIGKILL before its first epoch leaves a folder holding only its lock and pid file; the
    // next default run removes such folders, but never one a live run holds or one with results in it.
    [Fact]
    public void The_next_default_run_removes_the_folders_killed_runs_left_empty()
    {
        using var dir = new TempDir();
        var runs = dir.File("runs");
        string Folder(string name, params string[] files)
        {
            var f = Path.Combine(runs, name);
            Directory.CreateDirectory(f);
            foreach (var file in files) File.WriteAllText(Path.Combine(f, file), "x");
            return f;
        }
        var abandoned = Folder("20261201-000001", ".backprop.lock", ".backprop.pid");
        var withTemp = Folder("20261201-000002", ".backprop.lock", ".checkpoint.0123456789abcdef0123456789abcdef.ckpt");
        var results = Folder("20261201-000003", ".backprop.lock", ".backprop.pid", "checkpoint.ckpt");
        var empty = Folder("20261201-000004");
        using var live = RunFolder.Prepare(Path.Combine(runs, "20261201-000005"));

        RunFolder.RemoveAbandoned(runs);

        Assert.False(Directory.Exists(abandoned));
        Assert.False(Directory.Exists(withTemp));
        Assert.True(File.Exists(Path.Combine(results, "checkpoint.ckpt")));
        Assert.True(Directory.Exists(empty)); // not a run's leftovers: nothing says a run made it
        Assert.True(File.Exists(live.LockFile));
    }
}
