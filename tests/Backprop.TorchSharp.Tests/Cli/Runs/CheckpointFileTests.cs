using System.Buffers.Binary;
using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests.Cli.Runs;

public sealed class CheckpointFileTests
{
    private static Checkpoint Sample() => new(
        new TrainSettings(Hidden: 3, Loss: LossKind.Mse, Gradients: GradientKind.Manual, LearningRate: 0.25, BatchSize: 7, Epochs: 4, Seed: 42),
        [new EpochResult(1, 0.5, 0.4, 0.9, 1.5), new EpochResult(2, 0.3, double.NaN, double.NaN, 1.25)],
        Weights(3),
        new OptimizerState("sgd", 0.25, 0),
        [9, 8, 7, 6])
    {
        Kernels = [new EpochKernels("avx2", true, "off"), null],
    };

    /// <summary>The state_dict of 784-<paramref name="hidden"/>-10 with made-up values (float.Epsilon and negatives among them), as a checkpoint holds it.</summary>
    internal static CheckpointTensor[] Weights(HiddenLayers hidden) =>
        [.. hidden.StateDict().Select((k, t) => new CheckpointTensor(k.Name, k.Shape,
            [.. Enumerable.Range(0, (int)k.Shape.Aggregate(1L, (a, b) => a * b)).Select(i => i == 5 ? float.Epsilon : ((i * 7) + t) % 11 - 5.5f)]))];

    [Fact]
    public void What_is_saved_loads_back_equal()
    {
        using var dir = new TempDir();
        var saved = Sample();

        CheckpointFile.Save(dir.File("c.ckpt"), saved);
        var loaded = CheckpointFile.Load(dir.File("c.ckpt"));

        Assert.Equal(saved.Settings, loaded.Settings);
        Assert.Equal(2, loaded.Epochs);
        Assert.Equal(saved.History, loaded.History);
        Assert.Equal(saved.Optimizer, loaded.Optimizer);
        Assert.Equal(saved.RngState, loaded.RngState);
        Assert.Equal(saved.Weights.Select(w => (w.Name, string.Join(",", w.Shape))), loaded.Weights.Select(w => (w.Name, string.Join(",", w.Shape))));
        Assert.Equal(saved.Weights.SelectMany(w => w.Values), loaded.Weights.SelectMany(w => w.Values));
        Assert.Equal(saved.Kernels, loaded.Kernels);
    }

    [Fact]
    public void A_checkpoint_from_before_the_kernels_were_recorded_still_loads()
    {
        var old = WithHeader(CheckpointFile.Serialize(Sample()), json => json.Replace(",\"kernels\":[{\"aten\":\"avx2\",\"pinned\":true,\"mkl\":\"off\"},null]", "", StringComparison.Ordinal));

        var loaded = CheckpointFile.Deserialize("old.ckpt", old);

        Assert.Equal(Sample().History, loaded.History);
        Assert.Empty(loaded.Kernels);
    }

    [Fact]
    public void Kernels_that_do_not_go_with_the_history_are_refused_as_damage()
    {
        var bad = WithHeader(CheckpointFile.Serialize(Sample()), json => json.Replace(",null]", "]", StringComparison.Ordinal));

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("bad.ckpt", bad));

        Assert.Contains("kernels holds 1 entries for 2 epochs", e.Message);
    }

    // The file with its JSON header edited, its length and checksum made to match again.
    private static byte[] WithHeader(byte[] file, Func<string, string> edit)
    {
        var at = "backprop-checkpoint\n".Length + 4;
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
        var header = System.Text.Encoding.UTF8.GetString(file, at + 4, length);
        var json = System.Text.Encoding.UTF8.GetBytes(edit(header));
        Assert.NotEqual(header.Length, json.Length); // the edit found its text
        var lengthField = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(lengthField, (uint)json.Length);
        byte[] body = [.. file[..at], .. lengthField, .. json, .. file[(at + 4 + length)..^32]];
        return [.. body, .. System.Security.Cryptography.SHA256.HashData(body)];
    }

    [Fact]
    public void A_missing_file_is_named_with_what_to_pass()
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Load("/nonexistent/run/checkpoint.ckpt"));

        Assert.Contains("/nonexistent/run/checkpoint.ckpt", e.Message);
        Assert.Contains("no such file", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("PK\u0003\u0004 a zip file")]
    [InlineData("{\"settings\": {}}")]
    public void A_foreign_file_is_refused(string content)
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("x.ckpt", System.Text.Encoding.UTF8.GetBytes(content)));

        Assert.Contains("not a backprop checkpoint", e.Message);
    }

    [Fact]
    public void Every_truncation_and_every_flipped_byte_is_refused_as_corrupt()
    {
        var bytes = CheckpointFile.Serialize(Sample());
        var magic = "backprop-checkpoint\n".Length;

        for (var n = magic; n < bytes.Length; n += 7)
            Assert.Contains("truncated or corrupt", Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("x.ckpt", bytes[..n])).Message);
        for (var i = magic + 4; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            Assert.Contains("truncated or corrupt", Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("x.ckpt", damaged)).Message);
        }
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    public void A_format_1_or_2_checkpoint_of_one_hidden_layer_still_loads_format_1_with_its_epochs_renumbered_from_one(uint version)
    {
        // Formats 1 and 2 wrote the same layout with "hidden": 3, a number; format 1 numbered the history's epochs from 0.
        var old = HardeningTests.Reheader(CheckpointFile.Serialize(Sample()), json =>
        {
            Assert.Contains("\"hidden\":[3]", json);
            json = json.Replace("\"hidden\":[3]", "\"hidden\":3", StringComparison.Ordinal);
            return version > 1 ? json : json.Replace("\"epoch\":1,", "\"epoch\":0,", StringComparison.Ordinal).Replace("\"epoch\":2,", "\"epoch\":1,", StringComparison.Ordinal);
        }, version);

        var loaded = CheckpointFile.Deserialize("old.ckpt", old);

        Assert.Equal(Sample().Settings, loaded.Settings);
        Assert.Equal([3], loaded.Settings.Hidden.Widths);
        Assert.Equal(Sample().History, loaded.History);
        Assert.Equal(3, CheckpointFile.Version);
    }

    [Fact]
    public void Two_hidden_layers_are_saved_as_a_list_in_format_3_and_load_back()
    {
        var deep = Sample() with { Settings = Sample().Settings with { Hidden = new HiddenLayers(100, 50) }, Weights = Weights(new HiddenLayers(100, 50)) };
        var bytes = CheckpointFile.Serialize(deep);

        var loaded = CheckpointFile.Deserialize("deep.ckpt", bytes);

        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan("backprop-checkpoint\n".Length)));
        Assert.Contains("\"hidden\":[100,50]", System.Text.Encoding.UTF8.GetString(bytes, 0, 400));
        Assert.Equal(deep.Settings, loaded.Settings);
        Assert.Equal("784-100-50-10", loaded.Settings.Hidden.Architecture);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], loaded.Weights.Select(w => w.Name));
        Assert.Equal(deep.Weights.SelectMany(w => w.Values), loaded.Weights.SelectMany(w => w.Values));
    }

    [Fact]
    public void A_newer_format_asks_for_a_newer_backprop()
    {
        var bytes = CheckpointFile.Serialize(Sample());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan("backprop-checkpoint\n".Length), CheckpointFile.Version + 1);
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32); // sealed again: a real newer file

        var e = Assert.Throws<CheckpointException>(() => CheckpointFile.Deserialize("x.ckpt", bytes));

        Assert.Contains("newer", e.Message);
        Assert.Contains("update backprop", e.Message);
    }

    [Fact]
    public void Weights_that_do_not_match_their_shape_are_not_written()
    {
        var bad = Sample() with { Weights = [new CheckpointTensor("0.bias", [4], [1f, 2f])] };

        Assert.Throws<ArgumentException>(() => CheckpointFile.Serialize(bad));
    }
}
