//! Uploads: presigned URL, the PUT into R2, avatars by media id, `GET /media`,
//! and the cleanup of what was never finished or used.

use crate::helpers::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub(crate) const PNG: &[u8] = include_bytes!("../support/avatar.png");
const JPEG: &[u8] = include_bytes!("../support/photo.jpg");

fn presign(token: &str, content_type: &str, size: usize) -> Value {
    app().create_presigned_url::<Value>(
        token,
        &json!({"filename": "logo", "content_type": content_type, "size": size}),
        200,
    )
}

/// The path and query of an absolute URL the service handed out.
fn local(url: &str) -> String {
    let at = url
        .find(&format!("{}/", paths::API))
        .unwrap_or_else(|| panic!("{url}"));
    url[at..].to_string()
}

pub(crate) fn put_bytes(upload_url: &str, content_type: &str, bytes: &[u8]) -> Resp {
    put(&local(upload_url)).raw(content_type, bytes)
}

/// An uploaded PNG of `token`'s user: its media id.
fn uploaded_png(token: &str) -> String {
    let up = presign(token, "image/png", PNG.len());
    put_bytes(up["upload_url"].as_str().unwrap(), "image/png", PNG).expect(200);
    up["media_resource_id"].as_str().unwrap().to_string()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An upload URL signed as the service signs them (docs/api.md, "Uploads"), for
/// a grant the service never gave.
fn signed_url(id: &str, size: usize, content_type: &str, expires: i64) -> String {
    let mut derive = <Hmac<Sha256>>::new_from_slice(SECRET_KEY.as_bytes()).unwrap();
    derive.update(b"users-orgs-api upload URL v1");
    let key = derive.finalize().into_bytes();
    let mut mac = <Hmac<Sha256>>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}\n{size}\n{content_type}\n{expires}").as_bytes());
    let sig: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    with_query(
        paths::upload(id),
        &format!(
            "size={size}&type={}&expires={expires}&signature={sig}",
            urlencode(content_type)
        ),
    )
}

/// A GET of bytes, without a token: the status and the body.
fn fetch(path: &str) -> (u16, Vec<u8>) {
    let resp = match ureq::get(&format!("{}{path}", app().base_url)).call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let status = resp.status();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
    (status, bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
pub(crate) fn an_uploaded_png_becomes_an_organizations_avatar_and_is_served_as_sent() {
    let u = signup_user();
    let up = presign(&u.token, "image/png", PNG.len());
    let id = up["media_resource_id"].as_str().unwrap();
    assert_eq!(up["method"], "PUT");
    assert_eq!(
        up["headers"],
        json!({"Content-Type": "image/png", "Content-Length": PNG.len().to_string()})
    );
    assert!(up["url"].as_str().unwrap().ends_with(&paths::media(id)));
    assert!(up["expires_at"].as_str().unwrap().ends_with('Z'));

    let media = put_bytes(up["upload_url"].as_str().unwrap(), "image/png", PNG).ok();
    let hash = sha256_hex(PNG);
    assert_eq!(media["id"], id);
    assert_eq!(media["url"], up["url"]);
    assert_eq!(media["resource_type"], "image");
    assert_eq!(media["extension"], "png");
    assert_eq!(media["file_size"], PNG.len());
    assert_eq!(media["content_hash"], hash.as_str());
    assert_eq!(
        (media["width"].clone(), media["height"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(media["aspect_ratio"], 1.5);
    assert_eq!(media["orientation"], "landscape");

    let org = app().create_organization::<Value>(&u.token, &json!({"name": "Uploaded", "avatar_image": {"media_resource_id": id, "alt_text": "our logo"}}), 200);
    let avatar = &org["avatar_image_media"];
    assert_eq!(avatar["id"], id);
    assert_eq!(avatar["content_hash"], hash.as_str());
    assert_eq!(
        (avatar["width"].clone(), avatar["height"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(avatar["alt_text"], "our logo");
    assert_eq!(org["avatar_image_url"], up["url"]);
    assert_eq!(
        get(&paths::organization(org["id"].as_str().unwrap()))
            .token(&u.token)
            .send()
            .ok(),
        org
    );

    // served without a token, byte for byte, cacheable for ever
    let served = ureq::get(&format!(
        "{}{}",
        app().base_url,
        local(up["url"].as_str().unwrap())
    ))
    .call()
    .unwrap();
    assert_eq!(served.status(), 200);
    let etag = served.header("etag").unwrap().to_string();
    assert_eq!(etag, format!("\"{hash}\""));
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(served.header("content-disposition"), Some("inline"));
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        served.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut served.into_reader(), &mut bytes).unwrap();
    assert_eq!(bytes, PNG);
    let again = get(&local(up["url"].as_str().unwrap()))
        .header("If-None-Match", &etag)
        .send();
    assert_eq!((again.status, again.text.as_str()), (304, ""));
}

#[test]
fn a_url_that_the_service_did_not_sign_or_that_expired_is_a_403() {
    let u = signup_user();
    let up = presign(&u.token, "image/png", PNG.len());
    let id = up["media_resource_id"].as_str().unwrap();
    let url = local(up["upload_url"].as_str().unwrap());
    let tampered = [
        url.replace("signature=", "signature=0"),
        // one hex digit of the signature changed
        format!(
            "{}{}",
            &url[..url.len() - 1],
            if url.ends_with('0') { '1' } else { '0' }
        ),
        url.replace(
            &format!("size={}", PNG.len()),
            &format!("size={}", PNG.len() + 1),
        ),
        url.replace("expires=", "expires=9"),
        url.split("&signature").next().unwrap().to_string(),
        signed_url(id, PNG.len(), "image/png", now() - 1), // expired
    ];
    for bad in tampered {
        put(&bad)
            .raw("image/png", PNG)
            .assert_detail(403, "Invalid upload signature");
    }
    // the service's own signature, valid until later, works
    put(&signed_url(id, PNG.len(), "image/png", now() + 60))
        .raw("image/png", PNG)
        .expect(200);
}

#[test]
fn the_bytes_must_be_what_was_declared() {
    let u = signup_user();
    // more bytes than declared
    let up = presign(&u.token, "image/png", PNG.len() - 1);
    put_bytes(up["upload_url"].as_str().unwrap(), "image/png", PNG).assert_detail(
        400,
        &format!(
            "The body has more bytes than the {} declared for this upload",
            PNG.len() - 1
        ),
    );
    // fewer
    let up = presign(&u.token, "image/png", PNG.len() + 5);
    put_bytes(up["upload_url"].as_str().unwrap(), "image/png", PNG).assert_detail(
        400,
        &format!(
            "The body has {} bytes, fewer than the {} declared for this upload",
            PNG.len(),
            PNG.len() + 5
        ),
    );
    // a JPEG declared as a PNG
    let up = presign(&u.token, "image/png", JPEG.len());
    let id = up["media_resource_id"].as_str().unwrap().to_string();
    put_bytes(up["upload_url"].as_str().unwrap(), "image/png", JPEG)
        .assert_detail(400, "The file is not a PNG image");
    // text declared as an image
    let text = b"hello, this is not an image at all";
    let up = presign(&u.token, "image/gif", text.len());
    put_bytes(up["upload_url"].as_str().unwrap(), "image/gif", text)
        .assert_detail(400, "The file is not a GIF image");
    // another Content-Type than declared
    let up = presign(&u.token, "image/png", PNG.len());
    put_bytes(up["upload_url"].as_str().unwrap(), "image/jpeg", PNG).assert_detail(
        400,
        "Content-Type \"image/jpeg\" is not the image/png declared for this upload",
    );
    // nothing refused was kept, and the refused upload can still be sent right
    assert_eq!(app().r2_keys(&format!("media/{id}/")), Vec::<String>::new());
    let jpeg = presign(&u.token, "image/jpeg", JPEG.len());
    let media = put_bytes(jpeg["upload_url"].as_str().unwrap(), "image/jpeg", JPEG).ok();
    assert_eq!(
        (
            media["width"].clone(),
            media["height"].clone(),
            media["extension"].clone()
        ),
        (json!(4), json!(3), json!("jpg"))
    );
}

#[test]
fn a_second_put_is_a_409_and_the_first_bytes_stay() {
    let u = signup_user();
    let up = presign(&u.token, "image/png", PNG.len());
    let url = up["upload_url"].as_str().unwrap();
    put_bytes(url, "image/png", PNG).expect(200);
    put_bytes(url, "image/png", PNG).assert_detail(409, "Upload already completed");
    let id = up["media_resource_id"].as_str().unwrap();
    assert_eq!(app().r2_keys(&format!("media/{id}/")).len(), 1);
}

#[test]
fn an_avatar_must_be_a_finished_upload_of_the_caller() {
    let (owner, other) = (signup_user(), signup_user());
    let create = |token: &str, id: &str| {
        post(&paths::organizations())
            .token(token)
            .json(&json!({"name": "Avatar", "avatar_image": {"media_resource_id": id}}))
    };
    let theirs = uploaded_png(&other.token);
    create(&owner.token, &theirs).assert_detail(404, "Media resource not found");
    create(&owner.token, &uuid::Uuid::new_v4().to_string())
        .assert_detail(404, "Media resource not found");
    let pending = presign(&owner.token, "image/png", PNG.len());
    create(&owner.token, pending["media_resource_id"].as_str().unwrap())
        .assert_detail(400, "Upload not completed");
    // a superuser may use anyone's
    create(&superuser_token(), &theirs).expect(200);
}

#[test]
fn a_replaced_avatar_is_no_longer_served_and_the_cron_run_deletes_it() {
    let u = signup_user();
    let first = uploaded_png(&u.token);
    let org = app().create_organization::<Value>(
        &u.token,
        &json!({"name": "Replacing", "avatar_image": {"media_resource_id": first}}),
        200,
    );
    let second = uploaded_png(&u.token);
    let updated = put(&paths::organization(org["id"].as_str().unwrap()))
        .token(&u.token)
        .json(&json!({"avatar_image": {"media_resource_id": second}}))
        .ok();
    assert_eq!(updated["avatar_image_media"]["id"], second.as_str());
    assert_eq!(
        app().read_media::<Detail>(&first, 404),
        Detail::new("Media resource not found")
    );
    assert_eq!(app().r2_keys(&format!("media/{first}/")).len(), 1);
    app().scheduled();
    assert!(app().r2_keys(&format!("media/{first}/")).is_empty());
    assert!(d1(&format!(
        "select id from media_resources where id = '{first}'"
    ))
    .is_empty());
    // the organization's deletion orphans the one it used
    delete(&paths::organization(org["id"].as_str().unwrap()))
        .token(&u.token)
        .send()
        .expect(200);
    app().read_media::<Resp>(&second, 404);
    app().scheduled();
    assert!(app().r2_keys(&format!("media/{second}/")).is_empty());
}

#[test]
fn one_upload_is_the_avatar_of_two_organizations_and_both_show_its_latest_descriptions() {
    let u = signup_user();
    let logo = uploaded_png(&u.token);
    let avatar = |alt: &str| json!({"media_resource_id": logo, "alt_text": alt, "protected": true});
    // A creation's ETag is the new organization's, though it changed the
    // upload's descriptions (to its own, from none or from another's).
    let create = |name: &str, alt: &str| {
        let created = post(&paths::organizations())
            .token(&u.token)
            .json(&json!({"name": name, "avatar_image": avatar(alt)}));
        let tag = created.header("etag").unwrap().to_string();
        let org = created.ok();
        let path = paths::organization(org["id"].as_str().unwrap());
        let again = get(&path)
            .token(&u.token)
            .header("If-None-Match", &tag)
            .send();
        assert_eq!(again.status, 304);
        (org, path, tag)
    };
    let name = format!("Shared logo {}", uuid::Uuid::new_v4().simple());
    let (first, path, tag) = create(&name, "our logo");
    assert_eq!(first["avatar_image_media"]["alt_text"], "our logo");
    // The superuser's search finds the first one alone: a page read again.
    let found = || {
        let search = with_query(
            paths::organizations(),
            &format!("search={}", urlencode(&name)),
        );
        get(&search).token(&superuser_token()).send().ok()["data"].clone()
    };
    assert_eq!(found(), json!([first]));

    // The second organization's descriptions are the upload's: the first one
    // shows them too, under a new ETag, in its own answer and in lists.
    let (second, second_path, _) = create("Second", "their logo");
    assert_eq!(second["avatar_image_media"]["alt_text"], "their logo");
    let now = get(&path)
        .token(&u.token)
        .header("If-None-Match", &tag)
        .send();
    assert_eq!(now.status, 200);
    let tag = now.header("etag").unwrap().to_string();
    let now = now.json();
    assert_eq!(now["avatar_image_media"], second["avatar_image_media"]);
    assert_eq!(found(), json!([now]));
    let mine = get(&paths::organizations()).token(&u.token).send().ok();
    assert_eq!(mine["data"], json!([second, now]));

    // Saved again with the same descriptions, nothing moves; with others, both
    // move, and the update's own ETag is its organization's.
    let update = |alt: &str| {
        put(&second_path)
            .token(&u.token)
            .json(&json!({"avatar_image": avatar(alt)}))
    };
    update("their logo").expect(200);
    let same = get(&path)
        .token(&u.token)
        .header("If-None-Match", &tag)
        .send();
    assert_eq!(same.status, 304);
    let updated = update("a new logo");
    let second_tag = updated.header("etag").unwrap().to_string();
    assert_eq!(updated.ok()["avatar_image_media"]["alt_text"], "a new logo");
    let again = get(&second_path)
        .token(&u.token)
        .header("If-None-Match", &second_tag)
        .send();
    assert_eq!(again.status, 304);
    let moved = get(&path)
        .token(&u.token)
        .header("If-None-Match", &tag)
        .send();
    assert_eq!(moved.status, 200);
    assert_eq!(moved.json()["avatar_image_media"]["alt_text"], "a new logo");
}

#[test]
pub(crate) fn the_cron_run_deletes_uploads_unfinished_or_unused_after_a_day() {
    let u = signup_user();
    let pending = presign(&u.token, "image/png", PNG.len());
    let pending = pending["media_resource_id"].as_str().unwrap().to_string();
    let unused = uploaded_png(&u.token);
    let fresh = uploaded_png(&u.token);
    d1(&format!(
        "update media_resources set created_at = '2020-01-01T00:00:00.000000Z' \
         where id in ('{pending}', '{unused}')"
    ));
    app().scheduled();
    for gone in [&pending, &unused] {
        assert!(d1(&format!(
            "select id from media_resources where id = '{gone}'"
        ))
        .is_empty());
        assert!(app().r2_keys(&format!("media/{gone}/")).is_empty());
    }
    assert_eq!(fetch(&paths::media(&fresh)), (200, PNG.to_vec()));
}

#[test]
fn a_presigned_url_is_asked_for_an_image_of_a_size_within_the_limit() {
    let u = signup_user();
    let ask = |body: Value| post(&paths::presigned_url()).token(&u.token).json(&body);
    let r = ask(json!({"filename": "a", "content_type": "text/html", "size": 5}));
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["detail"][0]["loc"],
        json!(["body", "content_type"])
    );
    let r = ask(json!({"filename": "a", "content_type": "image/png", "size": 5 * 1024 * 1024 + 1}));
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "size"]));
    assert_eq!(
        r.json()["detail"][0]["msg"],
        "Input should be less than or equal to 5242880"
    );
    let r = ask(
        json!({"filename": "a", "content_type": "image/png", "size": 5, "resource_type": "video"}),
    );
    assert_eq!(
        r.json()["detail"][0]["loc"],
        json!(["body", "resource_type"])
    );
    let r = ask(json!({"content_type": "image/png", "size": 0}));
    assert_eq!(r.status, 422);
    assert_eq!(
        app().create_presigned_url::<Detail>(
            &ANONYMOUS,
            &json!({"filename": "a", "content_type": "image/png", "size": 5}),
            401
        ),
        Detail::new("Not authenticated")
    );
}

#[test]
fn one_user_holds_at_most_20_unexpired_upload_urls() {
    let u = signup_user();
    for _ in 0..20 {
        presign(&u.token, "image/png", 10);
    }
    let r = post(&paths::presigned_url())
        .token(&u.token)
        .json(&json!({"filename": "a", "content_type": "image/png", "size": 10}));
    r.assert_detail(
        429,
        "Too many pending uploads: finish or let expire the ones you have",
    );
    assert_eq!(r.header("retry-after"), Some("900"));
    // an expired one no longer counts
    d1(&format!(
        "update media_resources set expires_at = 0 where id in \
         (select id from media_resources where owner_id = '{}' limit 1)",
        u.id
    ));
    presign(&u.token, "image/png", 10);
}

/// Two PUTs of one upload at once (issue 28: a claim of the docs had no test):
/// one completes the row, the other is refused, and only the winner's object
/// stays in R2 (each PUT writes its own key; the loser deletes its bytes).
#[test]
fn of_two_racing_puts_one_wins_and_the_others_bytes_are_deleted() {
    let u = signup_user();
    for _ in 0..5 {
        let up = presign(&u.token, "image/png", PNG.len());
        let url = up["upload_url"].as_str().unwrap();
        let id = up["media_resource_id"].as_str().unwrap();
        let statuses: Vec<u16> = at_once(2, |_| put_bytes(url, "image/png", PNG).status);
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [200, 409],
            "one completes, the other finds it completed"
        );
        let kept = d1(&format!(
            "select object_key from media_resources where id = '{id}'"
        ))[0]["object_key"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(app().r2_keys(&format!("media/{id}/")), vec![kept]);
    }
}
